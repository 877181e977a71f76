/// Writes compact JSON text. The hub's messages are built with it field by field, so no
/// intermediate dictionary is made per message.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Whether the open object or array at each depth already has a member (so the next
    /// one needs a comma): one bit per depth, the innermost lowest, as a stack in two words
    /// rather than an array (which cost a bounds and a uniqueness check on every value).
    /// Nesting past 64 levels would lose the outer levels' bits: the parser refuses anything
    /// deeper than 32, and the hub's own messages nest a few levels.
    private var hasMember: UInt64 = 0

    public init() {
        bytes.reserveCapacity(256)
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func separate() {
        if hasMember & 1 != 0 { bytes.append(UInt8(ascii: ",")) }
        hasMember |= 1
    }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        hasMember <<= 1
    }

    private mutating func close(_ bracket: UInt8) {
        hasMember >>= 1
        bytes.append(bracket)
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// A key inside an object; the next value call writes its value.
    public mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        hasMember &= ~1
    }

    public mutating func string(_ value: String?) {
        separate()
        if let value { appendString(value) } else { appendRaw("null") }
    }

    public mutating func int(_ value: Int) {
        separate()
        appendRaw(String(value))
    }

    public mutating func bool(_ value: Bool) {
        separate()
        appendRaw(value ? "true" : "false")
    }

    public mutating func null() {
        separate()
        appendRaw("null")
    }

    /// Already-serialized JSON (an opaque payload kept as text), or null.
    public mutating func raw(_ json: String?) {
        separate()
        appendRaw(json ?? "null")
    }

    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n): raw(n)
        case .string(let s): string(s)
        case .array(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .object(let members):
            beginObject()
            for (k, v) in members {
                key(k)
                self.value(v)
            }
            endObject()
        }
    }

    /// `"key": value` helpers.
    public mutating func field(_ name: String, _ value: String?) { key(name); string(value) }
    public mutating func field(_ name: String, _ value: Int) { key(name); int(value) }

    /// One JSON string (or null) as text.
    public static func quoted(_ text: String?) -> String {
        var writer = JSONWriter()
        writer.string(text)
        return writer.text
    }

    private mutating func appendRaw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most text needs no escape: copy it whole.
        let copiedWhole: Bool? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copiedWhole == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [0x5C, 0x22]
            case UInt8(ascii: "\\"): bytes += [0x5C, 0x5C]
            case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
            case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
            case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
