// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "corral",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "corrald", targets: ["corrald"]),
        .executable(name: "corral", targets: ["corral"]),
        .executable(name: "corral-bench", targets: ["corral-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
    ],
    targets: [
        // Pure object model: JSON, types, selectors, validation, tables, discovery. Foundation only.
        .target(name: "CorralModel", swiftSettings: [.swiftLanguageMode(.v5)]),
        // Revisioned object store on SQLite, with watch fan-out and compaction.
        .target(name: "CorralStore", dependencies: [
            "CorralModel",
            .product(name: "GRDB", package: "GRDB.swift"),
        ], swiftSettings: [.swiftLanguageMode(.v5)]),
        // Certificate authority, serving/client certificates and kubeconfig files.
        .target(name: "CorralPKI", dependencies: [
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: [.swiftLanguageMode(.v5)]),
        // HTTPS API server: routing, authn, REST verbs, watch, discovery, PKI.
        .target(name: "CorralAPI", dependencies: [
            "CorralModel", "CorralStore", "CorralPKI",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            "CZlib",
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: [.swiftLanguageMode(.v5)]),
        // Reconcile loops (garbage collection, namespaces, node status) over the store.
        .target(name: "CorralControllers", dependencies: [
            "CorralModel", "CorralStore", "CorralAPI",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: [.swiftLanguageMode(.v5)]),
        // C libraries from Debian's -dev packages.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CNetlink", pkgConfig: "libnl-route-3.0", providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]),
        .systemLibrary(name: "CLibvirt", pkgConfig: "libvirt", providers: [.apt(["libvirt-dev"])]),
        // Node image store: content-addressed blobs, OCI/docker archive import, registry pull, safe layer unpacking.
        .target(name: "CorralImages", dependencies: [
            "CorralModel", "CArchive",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ], swiftSettings: [.swiftLanguageMode(.v5), .define("CORRAL_IMAGES_NIO")]),
        // Pod -> OCI runtime spec (pure), and the conmon + runc/crun driver.
        .target(name: "CorralContainers", dependencies: ["CorralModel"], swiftSettings: [.swiftLanguageMode(.v5)]),
        // Pod network: IPAM (pure), network namespaces, bridge/veth over netlink (libnl), nftables.
        .target(name: "CorralNetwork", dependencies: ["CorralModel", "CNetlink"], swiftSettings: [.swiftLanguageMode(.v5)]),
        // VMI -> libvirt domain XML (pure), cloud-init media, the libvirt driver.
        .target(name: "CorralVirt", dependencies: ["CorralModel", "CLibvirt"], swiftSettings: [.swiftLanguageMode(.v5)]),
        // Node agent: runs the pods and VMIs bound to this node and reports their status.
        .target(name: "CorralNode", dependencies: [
            "CorralModel", "CorralStore", "CorralAPI", "CorralControllers", "CorralImages", "CorralContainers", "CorralNetwork", "CorralVirt",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: [.swiftLanguageMode(.v5)]),
        .executableTarget(name: "corrald", dependencies: [
            "CorralModel", "CorralStore", "CorralAPI", "CorralControllers", "CorralNode",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: [.swiftLanguageMode(.v5)]),
        .executableTarget(name: "corral", dependencies: [
            "CorralModel",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
            // WebSocket client (console, vnc) over TLS with client certificates.
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ], swiftSettings: [.swiftLanguageMode(.v5)]),
        .executableTarget(name: "corral-bench", dependencies: [
            "CorralModel", "CorralStore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "CorralModelTests", dependencies: ["CorralModel"], swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "CorralPKITests", dependencies: ["CorralPKI"], swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "CorralImagesTests", dependencies: ["CorralImages", "CorralModel"], swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "CorralContainersTests", dependencies: ["CorralContainers", "CorralModel"], resources: [.copy("Golden")], swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "CorralNetworkTests", dependencies: ["CorralNetwork", "CorralModel"], resources: [.copy("Golden")], swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "CorralVirtTests", dependencies: ["CorralVirt", "CorralModel"], resources: [.copy("Golden")], swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "CorralControllersTests", dependencies: ["CorralControllers", "CorralAPI", "CorralStore", "CorralModel", "CorralPKI",
                                                          .product(name: "NIOSSL", package: "swift-nio-ssl")], swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "CorralAPITests", dependencies: ["CorralAPI", "CorralModel", "CorralStore"], swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "CorralStoreTests", dependencies: ["CorralStore", "CorralModel"], swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
