/// A negotiated extension that decompresses messages (RFC 7692 permessage-deflate lives
/// in its own module; this module only knows that such a thing may exist).
public protocol MessageDecompressor: AnyObject {
    /// The message's payload as it was before compression. Must stop, with
    /// `.messageTooLarge`, as soon as the output would pass `maxSize`: a small message that
    /// inflates to gigabytes never gets the chance to.
    func decompress(_ payload: [UInt8], maxSize: Int) throws(WebSocketProtocolError) -> [UInt8]
}
