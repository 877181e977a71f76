/// What the parser hands out.
public enum HTTPParserEvent: Sendable {
    /// A complete request.
    case request(HTTPRequest)
    /// The head of a request that sent `Expect: 100-continue` and whose body has not
    /// arrived yet: the caller may answer `100 Continue` (RFC 9110 §10.1.1).
    case expectsContinue(HTTPRequestHead)
}

/// An incremental, sans-I/O HTTP/1.1 request parser (RFC 9112). Feed it bytes in any
/// split with `append`, then call `next()` until it returns nil (more bytes needed).
/// Pipelined requests come out one by one. After an error the parser stays failed: the
/// caller answers `error.status` and closes.
public struct HTTPRequestParser: Sendable {
    public struct Limits: Sendable {
        public var maxHeadSize: Int
        public var maxBodySize: Int
        public var maxHeaderCount: Int

        public init(maxHeadSize: Int = 16 * 1024, maxBodySize: Int = 1 << 20, maxHeaderCount: Int = 100) {
            self.maxHeadSize = maxHeadSize
            self.maxBodySize = maxBodySize
            self.maxHeaderCount = maxHeaderCount
        }
    }

    private enum State: Sendable {
        case head
        case fixedBody(HTTPRequestHead, remaining: Int)
        case chunkSize(HTTPRequestHead)
        case chunkData(HTTPRequestHead, remaining: Int)
        case chunkDataEnd(HTTPRequestHead)
        case trailers(HTTPRequestHead)
        case failed(HTTPParseError)
    }

    public let limits: Limits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Where the search for the end of the head resumes, so a head that trickles in one
    /// byte at a time is scanned once, not once per byte.
    private var scanIndex = 0
    private var state: State = .head
    private var body: [UInt8] = []
    private var continueAnnounced = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received but not yet part of a returned request. After an upgrade request
    /// these belong to the new protocol.
    public mutating func takeUnconsumed() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer = []
        readIndex = 0
        scanIndex = 0
        return rest
    }

    /// True while a request has started arriving but is not complete.
    public var isMidRequest: Bool {
        if case .head = state { return readIndex < buffer.count }
        if case .failed = state { return false }
        return true
    }

    public mutating func next() throws(HTTPParseError) -> HTTPParserEvent? {
        do {
            let event = try step()
            compact()
            return event
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPParseError) -> HTTPParserEvent? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .head:
                guard let head = try parseHead() else { return nil }
                continueAnnounced = false
                body = []
                switch try bodyFraming(of: head) {
                case .none:
                    return .request(HTTPRequest(head: head))
                case .length(let n):
                    state = .fixedBody(head, remaining: n)
                case .chunked:
                    state = .chunkSize(head)
                }
            case .fixedBody(let head, let remaining):
                let take = min(remaining, buffer.count - readIndex)
                body.append(contentsOf: buffer[readIndex..<readIndex + take])
                readIndex += take
                if take == remaining {
                    return finish(head)
                }
                state = .fixedBody(head, remaining: remaining - take)
                return announceContinue(head)
            case .chunkSize(let head):
                guard let line = try readLine(limit: 1024) else { return announceContinue(head) }
                let size = try parseChunkSize(line)
                if size == 0 {
                    state = .trailers(head)
                } else {
                    if body.count + size > limits.maxBodySize { throw .bodyTooLarge }
                    state = .chunkData(head, remaining: size)
                }
            case .chunkData(let head, let remaining):
                let take = min(remaining, buffer.count - readIndex)
                body.append(contentsOf: buffer[readIndex..<readIndex + take])
                readIndex += take
                if take < remaining {
                    state = .chunkData(head, remaining: remaining - take)
                    return nil
                }
                state = .chunkDataEnd(head)
            case .chunkDataEnd(let head):
                guard buffer.count - readIndex >= 2 else { return nil }
                guard buffer[readIndex] == 0x0D, buffer[readIndex + 1] == 0x0A else {
                    throw .malformed("chunk data not followed by CRLF")
                }
                readIndex += 2
                state = .chunkSize(head)
            case .trailers(let head):
                // RFC 9112 §7.1.2: trailer fields are read and discarded.
                guard let line = try readLine(limit: limits.maxHeadSize) else { return nil }
                if line.isEmpty { return finish(head) }
            }
        }
    }

    private mutating func finish(_ head: HTTPRequestHead) -> HTTPParserEvent {
        state = .head
        let request = HTTPRequest(head: head, body: body)
        body = []
        return .request(request)
    }

    private mutating func announceContinue(_ head: HTTPRequestHead) -> HTTPParserEvent? {
        guard !continueAnnounced, head.minorVersion >= 1,
              let expect = head.headers["Expect"], expect.asciiCaseInsensitiveEquals("100-continue")
        else { return nil }
        continueAnnounced = true
        return .expectsContinue(head)
    }

    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 4096)
            readIndex = 0
            scanIndex = 0
        } else if readIndex > 4096 && readIndex * 2 > buffer.count {
            buffer.removeFirst(readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }

    // MARK: head

    private mutating func parseHead() throws(HTTPParseError) -> HTTPRequestHead? {
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
        while buffer.count - readIndex >= 2, buffer[readIndex] == 0x0D, buffer[readIndex + 1] == 0x0A {
            readIndex += 2
        }
        scanIndex = max(scanIndex, readIndex)
        guard let end = try findHeadEnd() else { return nil }
        let head = try buffer.withUnsafeBufferPointer { all throws(HTTPParseError) in
            try Self.parseHeadBytes(UnsafeBufferPointer(rebasing: all[readIndex..<end]), limits: limits)
        }
        readIndex = end + 4
        scanIndex = readIndex
        return head
    }

    /// The index of the CRLFCRLF that ends the head, scanning from where the last call
    /// stopped, and never past the head limit. A bare LF is refused here, so a head of
    /// LF-only lines fails at once instead of waiting for a CRLFCRLF that never comes.
    /// Whatever the split of the input, the same bytes give the same error.
    private mutating func findHeadEnd() throws(HTTPParseError) -> Int? {
        let start = readIndex
        let window = min(buffer.count, start + limits.maxHeadSize + 4)
        let found: Int?? = buffer.withUnsafeBufferPointer { bytes -> Int?? in
            var i = scanIndex
            while i < window {
                if bytes[i] == 0x0A {
                    guard i > start, bytes[i - 1] == 0x0D else { return .some(nil) }
                    if i - start >= 3, bytes[i - 2] == 0x0A, bytes[i - 3] == 0x0D { return i - 3 }
                }
                i += 1
            }
            return nil
        }
        switch found {
        case .some(.some(let end)): return end
        case .some(.none): throw .malformed("bare LF")
        case .none:
            if window - start >= limits.maxHeadSize + 4 { throw .headTooLarge }
            scanIndex = window
            return nil
        }
    }

    private static func parseHeadBytes(_ bytes: UnsafeBufferPointer<UInt8>, limits: Limits) throws(HTTPParseError) -> HTTPRequestHead {
        var lines: [UnsafeBufferPointer<UInt8>] = []
        var start = 0
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0D {
                guard i + 1 < bytes.count, bytes[i + 1] == 0x0A else { throw .malformed("bare CR") }
                lines.append(UnsafeBufferPointer(rebasing: bytes[start..<i]))
                i += 2
                start = i
            } else if bytes[i] == 0x0A {
                throw .malformed("bare LF")
            } else {
                i += 1
            }
        }
        lines.append(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        if lines.count - 1 > limits.maxHeaderCount { throw .headTooLarge }

        var head = try parseRequestLine(lines[0])
        for line in lines.dropFirst() {
            let (name, value) = try parseField(line)
            head.headers.add(name: name, value: value)
        }
        // RFC 9112 §3.2: a request without Host in HTTP/1.1 is answered 400.
        if head.minorVersion >= 1 {
            let hosts = head.headers.values("Host")
            if hosts.count != 1 { throw .malformed(hosts.isEmpty ? "missing Host" : "more than one Host") }
        }
        return head
    }

    /// RFC 9112 §3: method SP request-target SP HTTP-version.
    private static func parseRequestLine(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> HTTPRequestHead {
        guard let sp1 = line.firstIndex(of: 0x20) else { throw .malformed("request line") }
        let rest = UnsafeBufferPointer(rebasing: line[(sp1 + 1)...])
        guard let sp2rel = rest.firstIndex(of: 0x20) else { throw .malformed("request line") }
        let sp2 = sp1 + 1 + sp2rel
        let method = UnsafeBufferPointer(rebasing: line[0..<sp1])
        let target = UnsafeBufferPointer(rebasing: line[(sp1 + 1)..<sp2])
        let version = UnsafeBufferPointer(rebasing: line[(sp2 + 1)...])
        guard !method.isEmpty, method.allSatisfy(isTokenByte) else { throw .malformed("method") }
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { throw .malformed("request target") }
        guard version.count == 8, version.starts(with: "HTTP/".utf8),
              isDigit(version[5]), version[6] == 0x2E, isDigit(version[7])
        else { throw .malformed("HTTP version") }
        guard version[5] == 0x31 else { throw .unsupportedVersion }
        return HTTPRequestHead(
            method: String(decoding: method, as: UTF8.self),
            target: String(decoding: target, as: UTF8.self),
            minorVersion: Int(version[7] - 0x30))
    }

    /// RFC 9112 §5: field-name ":" OWS field-value OWS. No whitespace before the colon
    /// (§5.1) and no obsolete line folding (§5.2).
    private static func parseField(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> (String, String) {
        guard let first = line.first else { throw .malformed("empty header line") }
        if first == 0x20 || first == 0x09 { throw .malformed("obsolete line folding") }
        guard let colon = line.firstIndex(of: 0x3A), colon > 0 else { throw .malformed("header without colon") }
        let name = UnsafeBufferPointer(rebasing: line[0..<colon])
        guard name.allSatisfy(isTokenByte) else { throw .malformed("header name") }
        var lo = colon + 1
        var hi = line.count
        while lo < hi, line[lo] == 0x20 || line[lo] == 0x09 { lo += 1 }
        while hi > lo, line[hi - 1] == 0x20 || line[hi - 1] == 0x09 { hi -= 1 }
        let value = UnsafeBufferPointer(rebasing: line[lo..<hi])
        // Field values: VCHAR, obs-text, SP and HTAB; no other control byte (§5.5).
        guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) else { throw .malformed("header value") }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    // MARK: body

    private enum BodyFraming { case none, length(Int), chunked }

    /// RFC 9112 §6.3. Transfer-Encoding with Content-Length is refused rather than
    /// guessed at: it is how requests are smuggled.
    private func bodyFraming(of head: HTTPRequestHead) throws(HTTPParseError) -> BodyFraming {
        let encodings = head.headers.values("Transfer-Encoding")
        let lengths = head.headers.values("Content-Length")
        if !encodings.isEmpty {
            if !lengths.isEmpty { throw .malformed("both Transfer-Encoding and Content-Length") }
            if head.minorVersion == 0 { throw .malformed("Transfer-Encoding in HTTP/1.0") }
            let codings = encodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingOWS() }
            guard codings.count == 1, codings[0].asciiCaseInsensitiveEquals("chunked") else {
                throw .unsupportedTransferEncoding
            }
            return .chunked
        }
        guard !lengths.isEmpty else { return .none }
        // The usual case, one Content-Length of plain digits, read straight from its bytes.
        if lengths.count == 1, let n = Self.plainLength(lengths[0]) {
            if n > limits.maxBodySize { throw .bodyTooLarge }
            return n == 0 ? .none : .length(n)
        }
        var length: Int?
        for field in lengths {
            for item in field.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = item.trimmingOWS()
                guard !digits.isEmpty, digits.utf8.allSatisfy(isDigit) else { throw .malformed("Content-Length") }
                // Compare before converting: a 30-digit length must not trap.
                guard digits.utf8.count <= 18, let n = Int(digits) else { throw .bodyTooLarge }
                if let seen = length, seen != n { throw .malformed("conflicting Content-Length") }
                length = n
            }
        }
        let n = length ?? 0
        if n > limits.maxBodySize { throw .bodyTooLarge }
        return n == 0 ? .none : .length(n)
    }

    /// A Content-Length of 1 to 18 digits and nothing else, as a number; nil for anything
    /// else (a list, spaces, a sign), which the careful path decides.
    private static func plainLength(_ field: String) -> Int? {
        let utf8 = field.utf8
        guard (1...18).contains(utf8.count) else { return nil }
        var n = 0
        for byte in utf8 {
            guard isDigit(byte) else { return nil }
            n = n * 10 + Int(byte - 0x30)
        }
        return n
    }

    /// A CRLF-terminated line from the buffer (without the CRLF), or nil if incomplete.
    private mutating func readLine(limit: Int) throws(HTTPParseError) -> [UInt8]? {
        var i = readIndex
        while i < buffer.count {
            if buffer[i] == 0x0A {
                guard i > readIndex, buffer[i - 1] == 0x0D else { throw .malformed("bare LF") }
                let line = Array(buffer[readIndex..<(i - 1)])
                readIndex = i + 1
                return line
            }
            i += 1
            if i - readIndex > limit { throw .malformed("line too long") }
        }
        return nil
    }

    /// RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF, the size in hex.
    private func parseChunkSize(_ line: [UInt8]) throws(HTTPParseError) -> Int {
        var size = 0
        var digits = 0
        for byte in line {
            guard let v = hexValue(byte) else {
                if byte == 0x3B || byte == 0x20 || byte == 0x09 { break }  // extension: ignored
                throw .malformed("chunk size")
            }
            digits += 1
            if digits > 15 { throw .bodyTooLarge }
            size = size << 4 | Int(v)
        }
        if digits == 0 { throw .malformed("chunk size") }
        return size
    }
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

@inline(__always) func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: return b - 0x30
    case 0x41...0x46: return b - 0x41 + 10
    case 0x61...0x66: return b - 0x61 + 10
    default: return nil
    }
}

/// tchar of RFC 9110 §5.6.2.
@inline(__always) func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
    default: return false
    }
}
