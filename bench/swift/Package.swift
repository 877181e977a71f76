// swift-tools-version:6.0
import PackageDescription

// Benchmarks of the hub's data structures, apart from the product's build.
// Run: swift run -c release --package-path bench/swift hub-bench (or records-bench, rollup-bench)
let package = Package(
    name: "LiveHubBenchmarks",
    dependencies: [.package(name: "LiveHub", path: "../..")],
    targets: [
        .executableTarget(name: "hub-bench", dependencies: [.product(name: "Hub", package: "LiveHub")]),
        // The money engine and its records database alone, without HTTP.
        .executableTarget(name: "records-bench", dependencies: [.product(name: "Hub", package: "LiveHub"), .product(name: "Records", package: "LiveHub"),
                                                                .product(name: "Money", package: "LiveHub")]),
        // The shop's day (issue 32): one busy minute's rollups counted by a hub and written.
        .executableTarget(name: "rollup-bench", dependencies: [.product(name: "Hub", package: "LiveHub"), .product(name: "Records", package: "LiveHub")]),
    ]
)
