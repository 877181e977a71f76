import Hub
import JSON
import Testing
@testable import LiveHubServer

/// `web/openapi.json` against the route table, both ways, so the description cannot drift:
/// a route added without its description fails here, and so does a description of a route
/// the table no longer has. Paths are written as OpenAPI writes them: `{name}` and
/// `{name:a|b}` captures become `{name}` (the listed values are the parameter's enum).
@Suite("OpenAPI description")
struct OpenAPITests {
    /// The repository's root, from this file's place in it.
    static let root: String = {
        let file = #filePath
        guard let range = file.range(of: "/Tests/LiveHubServerTests/") else { return "." }
        return String(file[..<range.lowerBound])
    }()

    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    static func spec() throws -> JSONValue {
        let bytes = try #require(try FileBytes.read(root + "/web/openapi.json"), "web/openapi.json is missing")
        return try JSONParser.parse(bytes, maxDepth: 64)
    }

    /// A route's pattern as an OpenAPI path.
    static func openAPIPath(_ pattern: RoutePattern) -> String {
        "/" + pattern.segments.map { segment in
            switch segment {
            case .literal(let text): text
            case .capture(let name, _): "{\(name)}"
            }
        }.joined(separator: "/")
    }

    /// Every operation the description names, as "METHOD /path".
    static func described(_ spec: JSONValue) throws -> Set<String> {
        guard case .object(let paths)? = spec["paths"] else { throw Missing("paths") }
        var found = Set<String>()
        for (path, item) in paths {
            guard case .object(let members) = item else { continue }
            for (method, _) in members where methods.contains(method) { found.insert(method.uppercased() + " " + path) }
        }
        return found
    }

    struct Missing: Error { let what: String; init(_ what: String) { self.what = what } }

    /// The table with the test endpoints: the description marks those `x-test-endpoint`.
    static let table = RouteTable.entries(testEndpoints: true)

    @Test func everyRouteIsDescribed() throws {
        let described = try Self.described(try Self.spec())
        let missing = Self.table.map { "\($0.method.rawValue) \(Self.openAPIPath($0.pattern))" }.filter { !described.contains($0) }
        #expect(missing.isEmpty, "routes in RouteTable without a description in web/openapi.json: \(missing)")
    }

    @Test func everyDescribedOperationIsARoute() throws {
        let routes = Set(Self.table.map { "\($0.method.rawValue) \(Self.openAPIPath($0.pattern))" })
        // A file of the web root may be described too (GET /openapi.json): it is served,
        // though not by a line of the table.
        let files = StaticFiles(root: Self.root + "/web")
        let extra = try Self.described(try Self.spec()).filter { operation in
            guard !routes.contains(operation) else { return false }
            let path = operation.split(separator: " ", maxSplits: 1)[1]
            return !(operation.hasPrefix("GET ") && files.file(at: path) != nil)
        }
        #expect(extra.isEmpty, "operations in web/openapi.json that RouteTable does not have: \(extra.sorted())")
    }

    /// `{provider:paystack|nowpayments|stripe}`: the path parameter's enum lists the same
    /// values, so a provider added to the table is added to the description too.
    @Test func restrictedCapturesAreEnums() throws {
        let spec = try Self.spec()
        for entry in Self.table {
            for case .capture(let name, let only?) in entry.pattern.segments {
                let operation = spec["paths"]?[Self.openAPIPath(entry.pattern)]?[entry.method.rawValue.lowercased()]
                guard case .array(let parameters)? = operation?["parameters"] else {
                    Issue.record("\(entry.pattern) describes no parameters")
                    continue
                }
                let parameter = parameters.first { $0["name"]?.stringValue == name && $0["in"]?.stringValue == "path" }
                guard case .array(let values)? = parameter?["schema"]?["enum"] else {
                    Issue.record("\(entry.pattern): the path parameter \(name) has no enum")
                    continue
                }
                #expect(Set(values.compactMap(\.stringValue)) == only, "\(entry.pattern): \(name)'s enum")
            }
        }
    }
}
