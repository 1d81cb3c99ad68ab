// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "wpm",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "wpmanager", targets: ["wpmanager"]),
        .executable(name: "wpconsole", targets: ["wpconsole"]),
        .executable(name: "wpkeepalive", targets: ["wpkeepalive"]),
        .executable(name: "wpexec", targets: ["wpexec"]),
        .library(name: "Supervisor", targets: ["Supervisor"]),
        .library(name: "KeepAlive", targets: ["KeepAlive"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // No traits: the defaults (swift-configuration support, full Foundation)
        // would load Foundation and ICU into wpmanager (README, "Performance").
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(name: "CShims"),
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CReadline", pkgConfig: "readline", providers: [.apt(["libreadline-dev"])]),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        // One of each small system helper (EINTR retry, writeAll, the signal
        // pipe, a non-blocking pipe, Duration in milliseconds) for every target.
        .target(
            name: "SystemHelpers",
            dependencies: ["CShims", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // The Go-style single-dash spelling of the command-line options.
        .target(
            name: "CommandLineOptions",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "KeepAlive", dependencies: ["ZeroMQ"]),
        .target(
            name: "Supervisor",
            dependencies: [
                "CShims",
                "SystemHelpers",
                "ZeroMQ",
                "KeepAlive",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "ControlAPI",
            dependencies: [
                "Supervisor",
                "SystemHelpers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "wpmanager",
            dependencies: [
                "Supervisor",
                "ControlAPI",
                "CShims",
                "SystemHelpers",
                "CommandLineOptions",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // `--check-config --diff` asks the running manager (ReloadPreviewClient).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // Release builds link the Swift runtime and FoundationEssentials
            // statically (its two helper archives named, as SwiftPM's
            // --static-swift-stdlib would), with lld packing the relative
            // relocations (RELR) and without exporting every symbol: about
            // 5 MiB less resident code than a dynamic build (README, "Performance").
            linkerSettings: [
                .unsafeFlags(
                    [
                        "-static-stdlib", "-Xlinker", "-l_FoundationCollections", "-Xlinker", "-l_FoundationCShims",
                        "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                        "-Xlinker", "--no-export-dynamic",
                    ], .when(configuration: .release))
            ]
        ),
        // The exec helper wpmanager chain-loads (found beside its binary):
        // C, linked statically (glibc's libc.a; the Swift runtime's search
        // path given by -static-stdlib, though nothing of it is pulled in:
        // swiftrt-stubs.c), so that it starts without the dynamic loader.
        .executableTarget(
            name: "wpexec",
            cSettings: [.unsafeFlags(["-O2"])],
            // -static makes clang ignore the -pie SwiftPM passes: not worth a warning.
            linkerSettings: [
                .unsafeFlags(["-static-stdlib", "-Xclang-linker", "-static", "-Xclang-linker", "-Wno-unused-command-line-argument"])
            ]
        ),
        .executableTarget(
            name: "wpconsole",
            dependencies: [
                "CReadline",
                "SystemHelpers",
                "CommandLineOptions",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "wpkeepalive",
            dependencies: [
                "KeepAlive", "ZeroMQ", "SystemHelpers", "CommandLineOptions",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The example Swift worker (resources/examples/swift).
        .executableTarget(
            name: "example-worker",
            dependencies: ["KeepAlive"],
            path: "resources/examples/swift"
        ),
        // Figures the issues name: `swift run -c release wpm-bench` (see README).
        .executableTarget(
            name: "wpm-bench",
            dependencies: [
                "ZeroMQ", "KeepAlive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/wpm-bench"
        ),
        .testTarget(
            name: "SupervisorTests",
            dependencies: [
                "Supervisor", "KeepAlive", "ZeroMQ", "SystemHelpers",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "ControlAPITests",
            dependencies: [
                "ControlAPI", "Supervisor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "ConsoleTests",
            dependencies: ["wpconsole"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "wpmanager",
                "wpconsole",
                "wpkeepalive",
                "wpexec",
                "example-worker",
                "ZeroMQ",
                "KeepAlive",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
