import COpenSSL
import WebSocket

/// Operator passwords, hashed with scrypt (RFC 7914) through the OpenSSL the hub already
/// links (`EVP_PBE_scrypt`): memory-hard, so a stolen table is slow to guess on any
/// hardware. Parameters follow OWASP's Password Storage Cheat Sheet (N=2^17, r=8, p=1:
/// 128 MiB and a few hundred milliseconds per check), kept in each hash so they can grow.
/// Stored as `scrypt$N$r$p$salt$hash` (salt and hash base64url).
public enum PasswordHash {
    public struct Parameters: Sendable, Equatable {
        public var n: UInt64
        public var r: UInt64
        public var p: UInt64

        public static let owasp = Parameters(n: 1 << 17, r: 8, p: 1)

        public init(n: UInt64, r: UInt64, p: UInt64) {
            self.n = n
            self.r = r
            self.p = p
        }
    }

    /// The shortest password `livehub user add` takes (NIST SP 800-63B: at least 8).
    public static let minimumLength = 10
    /// The most memory one check may take (twice OWASP's parameters): a stored hash asking
    /// for more is no match, not an allocation.
    public static let maxMemory: UInt64 = 256 << 20
    /// The longest: a check costs the same whatever the length, but the text is bounded.
    public static let maximumLength = 1024

    public static func hash(_ password: String, parameters: Parameters = .owasp) -> String {
        let salt = HMAC.randomBytes(16)
        let derived = scrypt(Array(password.utf8), salt: salt, parameters)
        return "scrypt$\(parameters.n)$\(parameters.r)$\(parameters.p)$"
            + Base64.encode(salt, urlSafe: true, padding: false) + "$" + Base64.encode(derived, urlSafe: true, padding: false)
    }

    /// Whether `password` is the one `stored` was made from (compared in constant time).
    /// A malformed hash, or parameters past what the hub would ever set, is no match.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let n = UInt64(parts[1]), let r = UInt64(parts[2]), let p = UInt64(parts[3]),
              n > 1, n & (n - 1) == 0, n <= 1 << 20, (1...32).contains(r), (1...16).contains(p),
              128 * r * n * p <= maxMemory,
              let salt = Base64.decode(parts[4]), let expected = Base64.decode(parts[5]), expected.count == 32
        else { return false }
        return HMAC.constantTimeEquals(scrypt(Array(password.utf8), salt: salt, Parameters(n: n, r: r, p: p)), expected)
    }

    /// A hash with nothing behind it, checked when the account does not exist, so an
    /// unknown name takes as long to refuse as a wrong password.
    public static let decoy = hash(String(decoding: HMAC.randomBytes(16).map { 0x61 + $0 % 26 }, as: UTF8.self))

    static func scrypt(_ password: [UInt8], salt: [UInt8], _ parameters: Parameters) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        // maxmem: 128 * r * N * p bytes, and room for OpenSSL's own.
        let memory = 128 * parameters.r * parameters.n * parameters.p + (32 << 20)
        let ok = password.withUnsafeBufferPointer { pass in
            pass.withMemoryRebound(to: CChar.self) { passChars in
                EVP_PBE_scrypt(passChars.baseAddress, pass.count, salt, salt.count, parameters.n, parameters.r, parameters.p,
                               memory, &out, out.count)
            }
        }
        precondition(ok == 1, "OpenSSL EVP_PBE_scrypt failed")
        return out
    }
}
