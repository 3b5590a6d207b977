// cotyledon-test-driver: a single-threaded child subreaper that starts daemons for the
// integration tests and reports their output and every exit (ARCHITECTURE.md § Testing). See `TestDriver`
// for the protocol.
var driver = TestDriver()
driver.run()
