import COpenSSL

/// SHA-1 through OpenSSL's EVP interface, for the handshake's accept value only (RFC 6455 §4.2.2).
enum SHA1 {
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        var size: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &size, EVP_sha1(), nil)
            }
        }
        precondition(ok == 1 && size == 20, "OpenSSL SHA-1 failed")
        return out
    }
}
