// swift-tools-version:6.0
import PackageDescription

// cotyledon-demo and cotyledon-demo-next build the same source, so they need the same modules.
let demoDependencies: [Target.Dependency] = [
    "Cotyledon",
    "CotyledonConfiguration",
    .product(name: "ArgumentParser", package: "swift-argument-parser"),
    .product(name: "Logging", package: "swift-log"),
]

let package = Package(
    name: "swift-cotyledon",
    // Linux only: epoll, signalfd, pidfd, prctl and libsystemd have no macOS counterpart,
    // so the package declares no Apple platform it cannot build for.
    products: [
        .library(name: "Cotyledon", targets: ["Cotyledon"]),
        .library(name: "CotyledonConfiguration", targets: ["CotyledonConfiguration"]),
        .executable(name: "cotyledon-demo", targets: ["cotyledon-demo"]),
        .executable(name: "cotyledon-demo-next", targets: ["cotyledon-demo-next"]),
        .executable(name: "cotyledonctl", targets: ["cotyledonctl"]),
        .library(name: "CotyledonServiceLifecycle", targets: ["CotyledonServiceLifecycle"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CCotyledonLinux",
            path: "Sources/CCotyledonLinux"
        ),
        // libsystemd's header (libsystemd-dev), for the declarations: nothing links the library.
        // The master loads libsystemd.so.0 when systemd passes a watchdog or sockets (SystemdLibrary).
        .systemLibrary(
            name: "CSystemd",
            path: "Sources/CSystemd"
        ),
        // libyaml, the system's YAML parser: CotyledonConfiguration composes its events (./dev installs libyaml-dev).
        .systemLibrary(
            name: "CYAML",
            path: "Sources/CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // The control socket's protocol (requests, answers, their JSON), shared by the master
        // and cotyledonctl (with the trust check of the socket's directory); the standard library and Glibc alone.
        .target(
            name: "CotyledonControlProtocol"
        ),
        .target(
            name: "Cotyledon",
            dependencies: [
                "CCotyledonLinux",
                "CSystemd",
                "CotyledonControlProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Reading configuration files (libyaml, the strict decoder, located errors) into
        // Cotyledon's configuration types: a daemon configured in code links neither it nor libyaml.
        .target(
            name: "CotyledonConfiguration",
            dependencies: [
                "CYAML",
                "Cotyledon",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Runs a swift-service-lifecycle ServiceGroup in each worker of a Cotyledon service.
        .target(
            name: "CotyledonServiceLifecycle",
            dependencies: [
                "Cotyledon",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "cotyledon-demo",
            dependencies: demoDependencies
        ),
        // The demo's next version: the same source (its folder is a symbolic link to the demo's)
        // built with NEXT_BUILD, so it reports another version and build-id. The upgrade tests
        // and the systemd suite put it in place of the demo's file and upgrade to it.
        .executableTarget(
            name: "cotyledon-demo-next",
            dependencies: demoDependencies,
            swiftSettings: [.define("NEXT_BUILD")]
        ),
        // The control socket's client: small, it shares the protocol module and nothing else of Cotyledon.
        .executableTarget(
            name: "cotyledonctl",
            dependencies: [
                "CotyledonControlProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/cotyledonctl"
        ),
        // Small daemons that exercise API misuse, hooks and failure modes for the integration tests.
        .executableTarget(
            name: "cotyledon-fixture",
            dependencies: [
                "Cotyledon",
                "CotyledonConfiguration",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Single-threaded child-subreaper that starts daemons for the integration tests (ARCHITECTURE.md § Testing).
        .executableTarget(
            name: "cotyledon-test-driver",
            dependencies: ["CotyledonControlProtocol"],
            path: "Tests/CotyledonTestDriver"
        ),
        .testTarget(
            name: "CotyledonTests",
            dependencies: [
                "CotyledonControlProtocol",
                "Cotyledon",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "CotyledonConfigurationTests",
            dependencies: [
                "CYAML",
                "Cotyledon",
                "CotyledonConfiguration",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "CotyledonServiceLifecycleTests",
            dependencies: [
                "Cotyledon",
                "CotyledonServiceLifecycle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: []
        ),
    ]
)
