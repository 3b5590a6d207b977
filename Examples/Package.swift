// swift-tools-version:6.0
import PackageDescription

// The examples are a package of their own that uses the library exactly as yours would:
// through a package dependency. (A path dependency is known by its folder's name, which a clone
// may choose freely, hence `name:` on it; a package of yours would write
// `.package(url: "https://github.com/…/swift-cotyledon", from: …)` and name the products the same.)

// http-daemon and http-daemon-next build the same source, so they need the same modules.
let httpDaemonDependencies: [Target.Dependency] = [
    .product(name: "Cotyledon", package: "swift-cotyledon"),
    .product(name: "CotyledonConfiguration", package: "swift-cotyledon"),
    .product(name: "ArgumentParser", package: "swift-argument-parser"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
]

let package = Package(
    name: "cotyledon-examples",
    // Linux only: epoll, signalfd, pidfd, prctl and libsystemd have no macOS counterpart,
    // so the package declares no Apple platform it cannot build for.
    dependencies: [
        .package(name: "swift-cotyledon", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // The README's first example: two workers printing "Doing stuff".
        .executableTarget(
            name: "printer-daemon",
            dependencies: [.product(name: "Cotyledon", package: "swift-cotyledon")]
        ),
        // A pre-forking HTTP server: N worker processes serving one port with SwiftNIO.
        .executableTarget(
            name: "http-daemon",
            dependencies: httpDaemonDependencies
        ),
        // The same daemon as its next version would build it: the folder is a symbolic link to
        // http-daemon's, built with NEXT_BUILD, so it reports another version and build-id. The
        // upgrade tests rename it over http-daemon's file and upgrade to it under load.
        .executableTarget(
            name: "http-daemon-next",
            dependencies: httpDaemonDependencies,
            swiftSettings: [.define("NEXT_BUILD")]
        ),
        // Workers that each run a swift-service-lifecycle ServiceGroup.
        .executableTarget(
            name: "lifecycle-daemon",
            dependencies: [
                .product(name: "Cotyledon", package: "swift-cotyledon"),
                .product(name: "CotyledonServiceLifecycle", package: "swift-cotyledon"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
