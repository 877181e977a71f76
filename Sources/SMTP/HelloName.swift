import Glibc

/// The name we give in EHLO (RFC 5321 §4.1.1.1): "the fully-qualified domain name of the
/// SMTP client if one is available"; else (§4.1.4) an address literal of the connection's
/// own address, `[192.0.2.1]` or `[IPv6:2001:db8::1]` (§4.1.3). A host name without a dot
/// (a container's) is not fully qualified, so the literal is used.
enum HelloName {
    static func forConnection(fd: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count - 1) == 0 {
            let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if name.contains("."), !name.hasSuffix("."), SMTPSession.isValidHelloName(name) { return name }
        }
        return addressLiteral(fd: fd) ?? "[127.0.0.1]"
    }

    private static func addressLiteral(fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = storage.ss_family
        let written: UnsafePointer<CChar>? = withUnsafeBytes(of: storage) { raw in
            if family == sa_family_t(AF_INET6) {
                var address = raw.load(as: sockaddr_in6.self).sin6_addr
                return inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
            }
            var address = raw.load(as: sockaddr_in.self).sin_addr
            return inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
        }
        guard written != nil else { return nil }
        let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return family == sa_family_t(AF_INET6) ? "[IPv6:\(address)]" : "[\(address)]"
    }
}
