/// Header fields in the order received. Names compare case-insensitively (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    public mutating func add(name: String, value: String) {
        fields.append((name, value))
    }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        for field in fields where field.name.asciiCaseInsensitiveEquals(name) {
            return field.value
        }
        return nil
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        var found: [String] = []
        for field in fields where field.name.asciiCaseInsensitiveEquals(name) { found.append(field.value) }
        return found
    }

    /// True when a comma-separated list header (`Connection`, `Upgrade`) holds `token`.
    public func contains(_ name: String, token: String) -> Bool {
        for value in values(name) {
            for item in value.split(separator: ",") {
                if item.trimmingOWS().asciiCaseInsensitiveEquals(token) { return true }
            }
        }
        return false
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}

extension String {
    /// The common case (a header name against a name), without the generic path's walk
    /// through both texts when their lengths already differ.
    public func asciiCaseInsensitiveEquals(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        let equal: Bool?? = utf8.withContiguousStorageIfAvailable { a in
            other.utf8.withContiguousStorageIfAvailable { b in
                for i in 0..<a.count where a[i] != b[i] && asciiLower(a[i]) != asciiLower(b[i]) { return false }
                return true
            }
        }
        if let equal = equal ?? nil { return equal }
        return self[...].asciiCaseInsensitiveEquals(other[...])
    }
}

extension StringProtocol {
    public func asciiCaseInsensitiveEquals<Other: StringProtocol>(_ other: Other) -> Bool {
        var a = utf8.makeIterator()
        var b = other.utf8.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return true
            case let (x?, y?):
                if x == y { continue }
                if asciiLower(x) != asciiLower(y) { return false }
            default: return false
            }
        }
    }

    /// Strips optional whitespace (SP / HTAB, RFC 9110 §5.6.3) at both ends.
    public func trimmingOWS() -> Substring {
        let s = Substring(self)
        var start = s.startIndex
        var end = s.endIndex
        while start < end, s[start] == " " || s[start] == "\t" { start = s.index(after: start) }
        while end > start {
            let before = s.index(before: end)
            if s[before] == " " || s[before] == "\t" { end = before } else { break }
        }
        return s[start..<end]
    }
}

@inline(__always) public func asciiLower(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
}
