// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The seven services: product name, module name, folder.
let services: [(product: String, module: String, extra: [Target.Dependency])] = [
    ("smarterchat-gateway", "GatewayService", [
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "Prometheus", package: "swift-prometheus"),
    ]),
    ("smarterchat-identity", "IdentityService", []),
    ("smarterchat-agents", "AgentsService", [
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "Mustache", package: "swift-mustache"),
        .product(name: "Prometheus", package: "swift-prometheus"),
    ]),
    ("smarterchat-conversations", "ConversationsService", [
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
    ]),
    ("smarterchat-crm", "CRMService", []),
    ("smarterchat-hooks", "HooksService", []),
    ("smarterchat-analytics", "AnalyticsService", []),
]

let sharedDependencies: [Target.Dependency] = [
    "Access", "Contracts", "RPC", "Postgres", "Cryptography", "ServiceKit",
    .product(name: "Logging", package: "swift-log"),
    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
]

let package = Package(
    name: "smarterchat",
    platforms: [.macOS(.v15)],
    products: services.map { .executable(name: $0.product, targets: [$0.module]) } + [
        .executable(name: "smarterchatctl", targets: ["SmarterChatCTL"]),
        .executable(name: "smarterchat-protogen", targets: ["ProtoGen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // C libraries from Debian's -dev packages.
        .systemLibrary(
            name: "CLibPQ", path: "Shared/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "CProtobufC", path: "Shared/CProtobufC", pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(
            name: "CLibCrypto", path: "Shared/CLibCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),

        // Contracts: protoc-c output (C) and its Swift face.
        .target(
            name: "ContractsC", dependencies: ["CProtobufC"], path: "Shared/ContractsC",
            publicHeadersPath: "include"),
        .target(
            name: "Contracts", dependencies: ["ContractsC", "CProtobufC"], path: "Shared/Contracts",
            swiftSettings: swiftSettings),
        // The generator of the Swift face (`make proto`), reading protoc's descriptor sets.
        .target(
            name: "ProtoGenC", dependencies: ["CProtobufC"], path: "Shared/ProtoGenC",
            publicHeadersPath: "include"),
        .executableTarget(
            name: "ProtoGen", dependencies: ["ProtoGenC", "CProtobufC"], path: "Shared/ProtoGen",
            swiftSettings: swiftSettings),
        // `make bench-codec`: the Swift face against protoc-c's structs in C.
        .target(
            name: "CodecBenchC", dependencies: ["ContractsC"], path: "bench/codec/CBench",
            publicHeadersPath: "include"),
        .executableTarget(
            name: "CodecBench", dependencies: ["Contracts", "CodecBenchC"], path: "bench/codec/Bench",
            swiftSettings: swiftSettings),

        .target(
            name: "RPC",
            dependencies: [
                "Contracts", "ContractsC",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/RPC", swiftSettings: swiftSettings),
        // `make bench-rpc` (RPC against a raw C ping-pong) and `make fuzz-rpc` (libFuzzer).
        .executableTarget(
            name: "RPCBench",
            dependencies: [
                "RPC", "Contracts", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "bench/rpc/RPCBench", swiftSettings: swiftSettings),
        // `make bench-leads`: ListLeads over 1,000,000 generated leads (bench/leads/run.sh).
        .executableTarget(
            name: "LeadsBench",
            dependencies: ["RPC", "Contracts", .product(name: "Logging", package: "swift-log")],
            path: "bench/leads/LeadsBench", swiftSettings: swiftSettings),
        .executableTarget(
            name: "RPCFrameFuzz", dependencies: ["RPC", .product(name: "NIOCore", package: "swift-nio")],
            path: "bench/rpc/RPCFrameFuzz", swiftSettings: swiftSettings),
        // `make fuzz-contracts`: libFuzzer on the Swift face of the contracts (with its own
        // generated copy of the test fixture, written by `make proto`).
        .executableTarget(
            name: "ContractsFuzz", dependencies: ["Contracts", "ContractsC", "CProtobufC"],
            path: "bench/contracts-fuzz/ContractsFuzz", swiftSettings: swiftSettings),
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/Postgres", swiftSettings: swiftSettings),
        // Roles, permissions and API key scopes: the matrix every service enforces.
        .target(
            name: "Access", dependencies: ["Contracts", "RPC", "Postgres"], path: "Shared/Access",
            swiftSettings: swiftSettings),
        .target(
            name: "Cryptography", dependencies: ["CLibCrypto"], path: "Shared/Cryptography",
            swiftSettings: swiftSettings),
        .target(
            name: "ServiceKit",
            dependencies: [
                "Contracts", "RPC", "Postgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Shared/ServiceKit", swiftSettings: swiftSettings),

        .executableTarget(
            name: "SmarterChatCTL",
            dependencies: sharedDependencies + [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/smarterchatctl", swiftSettings: swiftSettings),

        // Tests.
        .target(
            name: "TestSupport",
            dependencies: ["Postgres", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ContractsTests", dependencies: ["Contracts", "ContractsC", "CProtobufC", "TestSupport"],
            path: "Tests/ContractsTests",
            exclude: ["Golden", "lsan.supp"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RPCTests",
            dependencies: [
                "RPC", "Contracts", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/RPCTests",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PostgresTests", dependencies: ["Postgres", "TestSupport"], path: "Tests/PostgresTests",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CryptographyTests", dependencies: ["Cryptography"], path: "Tests/CryptographyTests",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ServiceKitTests",
            dependencies: ["ServiceKit", "TestSupport", .product(name: "Prometheus", package: "swift-prometheus")],
            path: "Tests/ServiceKitTests",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "GatewayService", "RPC", "Contracts", .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Tests/GatewayTests",
            swiftSettings: swiftSettings),
        // Fakes of the channel providers' send APIs (WhatsApp, Instagram, Telegram) on 127.0.0.1.
        .target(
            name: "ProviderFakes", dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/ProviderFakes", swiftSettings: swiftSettings),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["TestSupport", "RPC", "Contracts", "ServiceKit", "ProviderFakes", "Cryptography", "Postgres"],
            path: "Tests/IntegrationTests", swiftSettings: swiftSettings),
        .testTarget(
            name: "IdentityTests",
            dependencies: ["IdentityService", "Access", "TestSupport", "RPC", "Contracts", "Postgres", "ServiceKit"],
            path: "Tests/IdentityTests", swiftSettings: swiftSettings),
        .testTarget(
            name: "ConversationsTests",
            dependencies: [
                "ConversationsService", "Access", "TestSupport", "RPC", "Contracts", "Postgres", "ServiceKit",
                "Cryptography", "ProviderFakes",
            ],
            path: "Tests/ConversationsTests", swiftSettings: swiftSettings),
        .testTarget(
            name: "CRMTests",
            dependencies: ["CRMService", "Access", "TestSupport", "RPC", "Contracts", "Postgres", "ServiceKit"],
            path: "Tests/CRMTests", swiftSettings: swiftSettings),
        .testTarget(
            name: "AgentsTests",
            dependencies: [
                "AgentsService", "Access", "TestSupport", "RPC", "Contracts", "Postgres", "ServiceKit", "Cryptography",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/AgentsTests", swiftSettings: swiftSettings),
        .testTarget(
            name: "MigrationTests", dependencies: ["Postgres", "TestSupport"], path: "Tests/MigrationTests",
            swiftSettings: swiftSettings),
    ] + services.map {
        .executableTarget(
            name: $0.module, dependencies: sharedDependencies + $0.extra,
            path: "Services/\($0.product)",
            resources: $0.product == "smarterchat-gateway" ? [] : [.copy("Migrations")],
            swiftSettings: swiftSettings)
    }
)
