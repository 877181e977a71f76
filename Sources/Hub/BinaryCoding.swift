/// Little-endian fields, length-prefixed strings: the snapshot's encoding. Public for
/// `LegacyImport`, which reads a v2 data dir's journal and money records in it.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    public mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }

    /// A string, or nil written as length 0xFFFFFFFF.
    public mutating func string(_ s: String?) {
        guard let s else { u32(.max); return }
        u32(UInt32(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    public mutating func optionalI64(_ v: Int64?) {
        bool(v != nil)
        if let v { i64(v) }
    }
}

public struct ByteReader {
    public struct Truncated: Error {
        public init() {}
    }

    private let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    public mutating func u8() throws(Truncated) -> UInt8 {
        guard offset < bytes.count else { throw Truncated() }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u32() throws(Truncated) -> UInt32 {
        guard remaining >= 4 else { throw Truncated() }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[offset + k]) << (8 * UInt32(k)) }
        offset += 4
        return v
    }

    public mutating func u64() throws(Truncated) -> UInt64 {
        guard remaining >= 8 else { throw Truncated() }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[offset + k]) << (8 * UInt64(k)) }
        offset += 8
        return v
    }

    public mutating func i64() throws(Truncated) -> Int64 { Int64(bitPattern: try u64()) }

    @discardableResult
    public mutating func skip(_ count: Int) throws(Truncated) -> Int {
        guard remaining >= count else { throw Truncated() }
        offset += count
        return count
    }

    /// Everything not read yet, consumed.
    public mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    public mutating func bool() throws(Truncated) -> Bool { try u8() != 0 }

    public mutating func string() throws(Truncated) -> String? {
        let length = try u32()
        if length == .max { return nil }
        guard Int(length) <= remaining else { throw Truncated() }
        defer { offset += Int(length) }
        return String(decoding: bytes[offset..<offset + Int(length)], as: UTF8.self)
    }

    public mutating func requiredString() throws(Truncated) -> String {
        guard let s = try string() else { throw Truncated() }
        return s
    }

    public mutating func optionalI64() throws(Truncated) -> Int64? {
        try bool() ? try i64() : nil
    }
}

/// CRC-32 (IEEE 802.3, as zlib computes it).
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
