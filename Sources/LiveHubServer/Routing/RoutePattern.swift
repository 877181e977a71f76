/// A path as the route table matches it, written as in the README
/// (`/api/payments/{reference}/resolve`): literal segments and `{name}` segments, which
/// match any one segment (possibly empty) and are handed to the route, in order.
/// `{name:a|b}` matches only one of the listed segments.
struct RoutePattern: Sendable, Equatable, CustomStringConvertible {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case capture(name: String, only: Set<String>?)
    }

    let segments: [Segment]
    let description: String

    init(_ text: String) {
        precondition(text.hasPrefix("/"), "a route pattern starts with /: \(text)")
        description = text
        segments = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { part in
            guard part.hasPrefix("{"), part.hasSuffix("}") else { return .literal(String(part)) }
            let inner = part.dropFirst().dropLast()
            let pieces = inner.split(separator: ":", maxSplits: 1)
            let only = pieces.count == 2 ? Set(pieces[1].split(separator: "|").map(String.init)) : nil
            return .capture(name: String(pieces[0]), only: only)
        }
    }

    /// The path itself when the pattern has no capture (such routes are found by a
    /// dictionary lookup, not by trying each pattern).
    var exactPath: String? {
        segments.allSatisfy { if case .literal = $0 { true } else { false } } ? description : nil
    }

    /// The captured segments, or nil if `path` (split at "/", after the first) does not match.
    func match(_ path: [Substring]) -> [Substring]? {
        guard path.count == segments.count else { return nil }
        var captured: [Substring] = []
        for (segment, part) in zip(segments, path) {
            switch segment {
            case .literal(let text): guard part == text else { return nil }
            case .capture(_, let only):
                if let only, !only.contains(String(part)) { return nil }
                captured.append(part)
            }
        }
        return captured
    }

    /// A request path's segments as `match` takes them; nil unless it starts with "/".
    static func split(_ path: Substring) -> [Substring]? {
        guard path.utf8.first == UInt8(ascii: "/") else { return nil }
        return path.dropFirst().utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map { Substring($0) }
    }
}
