/// An immutable byte buffer queued for writing. A broadcast frame is encoded once into one
/// of these and the same instance is queued on every subscriber's connection, so a
/// delivery costs a reference, not a copy. Sendable because it is never mutated after
/// `init`, which lets a frame encoded on one loop be queued on another.
public final class OutboundBytes: Sendable {
    public let count: Int
    nonisolated(unsafe) let base: UnsafeMutableRawPointer

    public init(_ bytes: UnsafeRawBufferPointer) {
        count = bytes.count
        base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        if let source = bytes.baseAddress, count > 0 { base.copyMemory(from: source, byteCount: count) }
    }

    public convenience init(_ bytes: [UInt8]) {
        self.init(count: bytes.count) { out in bytes.withUnsafeBytes { out.copyMemory(from: $0) } }
    }

    /// Fills `count` bytes in place (the encoder writes straight into the buffer).
    public init(count: Int, initializer: (UnsafeMutableRawBufferPointer) -> Void) {
        self.count = count
        base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        initializer(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    deinit { base.deallocate() }
}
