/// RFC 7692 permessage-deflate, the server's side of the negotiation.
///
/// The server always answers with `server_no_context_takeover`: each message it sends is
/// compressed on its own, so a room message compressed once (per window size) is the same
/// bytes for every member, and no connection keeps a compressor between messages.
public struct PerMessageDeflate: Equatable, Sendable {
    // Every compressed socket holds one of these: three bytes, not two words and a flag.
    private var serverBits: UInt8
    private var clientBits: UInt8
    /// The client resets its compressor after each message: our inflater can too.
    public var clientNoContextTakeover: Bool

    /// The window of our compressor, 9–15 (zlib cannot make raw deflate with 8).
    public var serverMaxWindowBits: Int {
        get { Int(serverBits) }
        set { serverBits = UInt8(truncatingIfNeeded: newValue) }
    }
    /// The client's compressor window, so the window our inflater needs.
    public var clientMaxWindowBits: Int {
        get { Int(clientBits) }
        set { clientBits = UInt8(truncatingIfNeeded: newValue) }
    }

    /// Window sizes are 8–15 (§7.1.2).
    public init(serverMaxWindowBits: Int, clientMaxWindowBits: Int, clientNoContextTakeover: Bool) {
        precondition((8...15).contains(serverMaxWindowBits) && (8...15).contains(clientMaxWindowBits))
        serverBits = UInt8(serverMaxWindowBits)
        clientBits = UInt8(clientMaxWindowBits)
        self.clientNoContextTakeover = clientNoContextTakeover
    }

    /// Server preferences.
    public struct Configuration: Sendable {
        public var enabled = true
        /// Messages shorter than this go out uncompressed (deflate would only add bytes).
        public var minimumSize = 64
        public var compressionLevel: Int32 = 6
        public var memoryLevel: Int32 = 8

        public init() {}
    }

    /// The first offer we can accept (§5, §7.1), and the header value that accepts it.
    /// Nil: no offer is acceptable, the connection goes on without compression.
    public static func negotiate(_ headerValues: [String]) -> (PerMessageDeflate, response: String)? {
        guard let extensions = ExtensionHeader.parse(headerValues) else { return nil }
        offers: for offer in extensions where offer.name.lowercased() == "permessage-deflate" {
            var seen = Set<String>()
            var agreement = PerMessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: 15, clientNoContextTakeover: false)
            var response = ["permessage-deflate", "server_no_context_takeover"]
            for (name, value) in offer.parameters {
                // §7: a parameter given twice, or unknown, declines this offer.
                guard seen.insert(name.lowercased()).inserted else { continue offers }
                switch name.lowercased() {
                case "server_no_context_takeover":
                    guard value == nil else { continue offers }
                case "client_no_context_takeover":
                    guard value == nil else { continue offers }
                    agreement.clientNoContextTakeover = true
                    response.append("client_no_context_takeover")
                case "server_max_window_bits":
                    // §7.1.2.1: 8–15, required value. We cannot compress with 8.
                    guard let bits = value.flatMap(windowBits), bits >= 9 else { continue offers }
                    agreement.serverMaxWindowBits = bits
                    response.append("server_max_window_bits=\(bits)")
                case "client_max_window_bits":
                    // §7.1.2.2: optional value; the client can then use any window up to it.
                    if let value {
                        guard let bits = windowBits(value) else { continue offers }
                        agreement.clientMaxWindowBits = bits
                        response.append("client_max_window_bits=\(bits)")
                    }
                default:
                    continue offers
                }
            }
            return (agreement, response.joined(separator: "; "))
        }
        return nil
    }

    /// 8–15 written as 1*DIGIT without leading zero (§7.1.2).
    private static func windowBits(_ text: String) -> Int? {
        guard text.utf8.count <= 2, !text.hasPrefix("0"), let n = Int(text), (8...15).contains(n) else { return nil }
        return n
    }
}
