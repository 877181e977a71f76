import CLinux
import Glibc
import LiveHubServer

/// A blocking TCP client with a receive timeout, for talking to a live server in tests.
final class TestClient {
    let fd: Int32
    private var inbox: [UInt8] = []

    /// `receiveBuffer`: SO_RCVBUF, set before connecting so the window stays that small.
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw TestError("connect failed: errno \(clinux_errno())") }
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    /// Reads more bytes into the inbox; false on EOF, error or timeout.
    @discardableResult
    func fill() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }
        inbox += buffer[..<n]
        return true
    }

    /// True once the server has closed the connection (EOF) within the timeout.
    func readUntilEOF() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return clinux_errno() == ECONNRESET }
            inbox += buffer[..<n]
        }
    }

    /// One HTTP response: status, head text, body (Content-Length framed).
    func readResponse() throws -> (status: Int, head: String, body: String) {
        while true {
            if let end = find([0x0D, 0x0A, 0x0D, 0x0A]) {
                let head = String(decoding: inbox[..<end], as: UTF8.self)
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters()) } ?? 0
                while inbox.count < end + 4 + length { guard fill() else { throw TestError("short body") } }
                let body = String(decoding: inbox[(end + 4)..<(end + 4 + length)], as: UTF8.self)
                inbox.removeFirst(end + 4 + length)
                let status = Int(head.split(separator: " ")[1]) ?? 0
                return (status, head, body)
            }
            guard fill() else { throw TestError("no response; got \(String(decoding: inbox, as: UTF8.self))") }
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard inbox.count >= needle.count else { return nil }
        for i in 0...(inbox.count - needle.count) where inbox[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }

    // MARK: WebSocket

    func upgrade(path: String) throws {
        write("GET \(path) HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        let response = try readResponse()
        guard response.status == 101, response.head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") else {
            throw TestError("handshake failed: \(response.head)")
        }
    }

    func sendFrame(opcode: UInt8, _ payload: [UInt8], fin: Bool = true) {
        write(Self.maskedFrame(opcode: opcode, payload, fin: fin))
    }

    /// A client frame (§5.3: masked), to be written alone or with others in one write.
    static func maskedFrame(opcode: UInt8, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        let key: [UInt8] = [1, 2, 3, 4]
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        frame += key
        for (i, b) in payload.enumerated() { frame.append(b ^ key[i % 4]) }
        return frame
    }

    func sendText(_ text: String) { sendFrame(opcode: 1, Array(text.utf8)) }

    /// The next server frame: opcode and payload (server frames are unmasked).
    func readFrame() throws -> (opcode: UInt8, payload: [UInt8]) {
        while true {
            if inbox.count >= 2 {
                var length = Int(inbox[1] & 0x7F)
                var header = 2
                if length == 126 {
                    if inbox.count >= 4 { length = Int(inbox[2]) << 8 | Int(inbox[3]); header = 4 } else { length = -1 }
                } else if length == 127 {
                    if inbox.count >= 10 { length = inbox[2..<10].reduce(0) { $0 << 8 | Int($1) }; header = 10 } else { length = -1 }
                }
                if length >= 0 && inbox.count >= header + length {
                    let frame = (inbox[0] & 0x0F, Array(inbox[header..<(header + length)]))
                    inbox.removeFirst(header + length)
                    return frame
                }
            }
            guard fill() else { throw TestError("no frame") }
        }
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// A server on an ephemeral port for one test; stopped (and waited for) by `stop()`.
final class RunningServer {
    let server: LiveHubServer
    var port: Int { server.port }

    let dataDirectory: String

    init(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var template = Array("/tmp/livehub-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestError("mkdtemp failed") }
        dataDirectory = String(cString: made)
        var configuration = ServerConfiguration()
        configuration.dataDirectory = dataDirectory
        configuration.secret = Array("test-secret".utf8)
        configuration.port = 0
        configuration.loops = 2
        configuration.testEndpoints = true
        adjust(&configuration)
        server = LiveHubServer(configuration: configuration)
        try server.start()
    }

    func stop() {
        server.shutdown()
        server.wait()
        _ = system("rm -rf '\(dataDirectory)'")
    }
}
