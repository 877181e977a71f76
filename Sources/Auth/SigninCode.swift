/// One-time sign-in codes (`/login#code=…`), as the records database keeps them: hashed
/// with the hub's secret, so the table alone signs nobody in.
public enum SigninCode {
    /// A code is good for this long (seconds).
    public static let lifetime: Int64 = 15 * 60

    public static func hash(_ code: String, secret: [UInt8]) -> String {
        HMAC.hex(HMAC.sha256(key: secret, message: Array("livehub signin-code \(code)".utf8)))
    }
}
