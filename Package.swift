// swift-tools-version:6.0
import PackageDescription

// One target per layer (see README "Architecture"): protocol code never touches a socket,
// the reactor knows nothing of HTTP, the hub knows nothing of sockets or JSON.
let package = Package(
    name: "LiveHub",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "livehub", targets: ["livehub"]),
        // For the benchmark package in bench/swift.
        .library(name: "Hub", targets: ["Hub"]),
        .library(name: "Records", targets: ["Records"]),
        .library(name: "Money", targets: ["Money"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CLinux"),
        .target(name: "COpenSSL", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "CSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // Google's libphonenumber (libphonenumber-dev) behind a plain C API; C++ exceptions
        // stay in the shim. libphonenumber.so brings its protobuf, ICU and absl itself.
        .target(name: "CPhoneNumber", linkerSettings: [.linkedLibrary("phonenumber")]),
        .target(name: "HTTP1"),
        // JSON text (RFC 8259): a strict parser with a nesting limit and a field-by-field
        // writer. Numbers keep their text, so money never passes through a float.
        .target(name: "JSON"),
        .target(name: "WebSocket", dependencies: ["HTTP1", "COpenSSL"]),
        .target(name: "WebSocketDeflate", dependencies: ["WebSocket", "CZlib"]),
        .target(name: "Reactor", dependencies: ["CLinux", "COpenSSL"]),
        .target(name: "HTTPClient", dependencies: ["HTTP1", "Reactor"]),
        // Outgoing email (RFC 5321, 5322, 2045, 2047, 4954, 8314): the message rendered and
        // the dialogue as a sans-I/O session, run on a reactor loop by SMTPClient. Base64
        // from WebSocket, as Auth and Providers take it.
        .target(name: "SMTP", dependencies: ["Reactor", "WebSocket"]),
        .target(name: "Hub"),
        // Phone numbers kept and compared as E.164, read by libphonenumber.
        .target(name: "Phones", dependencies: ["CPhoneNumber"]),
        // Who may call: HS256 access tokens, HMAC and constant-time comparison through
        // OpenSSL, the hub's signing secret on disk.
        .target(name: "Auth", dependencies: ["COpenSSL", "JSON", "WebSocket", "Hub"]),
        // The payment providers' webhooks: one type each, verifying the raw body and
        // reading the payload, as pure functions.
        .target(name: "Webhooks", dependencies: ["Auth", "HTTP1", "Hub", "JSON"]),
        // The payment providers' APIs, sans I/O: each builds its `OutgoingRequest`s and reads
        // the answers (status and body) into typed answers; it never opens a socket. Base64
        // from WebSocket (as Auth takes it), the readings shared with the webhooks from Webhooks.
        .target(name: "Providers", dependencies: ["HTTP1", "HTTPClient", "JSON", "Hub", "Webhooks", "WebSocket"]),
        // The records database (SQLite or PostgreSQL): connections, schema, migrations,
        // statements and row mapping. Knows the hub's records, nothing of flows, sockets or JSON.
        .target(name: "Records", dependencies: ["Hub", "CSQLite", "CLibPQ", .product(name: "Logging", package: "swift-log")]),
        // The money flows between the edge and the store: each an operation type with its
        // own reply type, run by the money engine (its thread, group commit, readers).
        .target(name: "Money", dependencies: ["Hub", "Records", .product(name: "Logging", package: "swift-log")]),
        // Taking in a data dir from the journal era (v1/v2: money in DATA/journal and the
        // snapshot), once, at start-up; `snapshot inspect` reads such a snapshot's money
        // with it too. A release that no longer takes such data dirs in deletes it.
        .target(name: "LegacyImport", dependencies: ["Hub", "Records"]),
        // Cluster mode: nodes sharing presence counts through PostgreSQL (LISTEN/NOTIFY).
        .target(name: "Cluster", dependencies: ["Hub", "Records", "Reactor", "CLinux", .product(name: "Logging", package: "swift-log")]),
        .target(name: "LiveHubServer", dependencies: ["Cluster", "HTTP1", "HTTPClient", "Providers", "SMTP", "WebSocket", "WebSocketDeflate", "Reactor", "Hub", "Records", "Money", "COpenSSL", "JSON", "Auth", "Webhooks",
                                                     "Phones", "LegacyImport", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "livehub", dependencies: [
            "LiveHubServer", "Hub", "HTTPClient", "Records", "Auth", "Phones", "JSON", "Money", "SMTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "WebhooksTests", dependencies: ["Webhooks", "Auth", "HTTP1", "Hub", "JSON"]),
        .testTarget(name: "ProvidersTests", dependencies: ["Providers", "Webhooks", "HTTPClient", "HTTP1", "Hub", "JSON"]),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket"]),
        .testTarget(name: "WebSocketDeflateTests", dependencies: ["WebSocketDeflate", "WebSocket"]),
        .testTarget(name: "HubTests", dependencies: ["Hub"]),
        .testTarget(name: "PhonesTests", dependencies: ["Phones"]),
        .testTarget(name: "RecordsTests", dependencies: ["Records", "Hub"]),
        .testTarget(name: "MoneyTests", dependencies: ["Money", "Records", "Hub"]),
        .testTarget(name: "LegacyImportTests", dependencies: ["LegacyImport", "Records", "Hub"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "Hub", "Money", "Records"]),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "CLinux"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTP1", "Reactor"]),
        .testTarget(name: "SMTPTests", dependencies: ["SMTP", "Reactor", "WebSocket"]),
        .testTarget(name: "LiveHubServerTests", dependencies: ["LiveHubServer", "Reactor", "CLinux", "HTTPClient", "Hub", "JSON", "Auth", "Money"]),
    ],
    swiftLanguageModes: [.v6]
)
