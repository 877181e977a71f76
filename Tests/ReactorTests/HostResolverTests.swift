import Glibc
import Testing
@testable import Reactor

@Suite("Host names resolved off the loop")
struct HostResolverTests {
    /// A name found is kept for a while: a provider asked a hundred times a second is one
    /// lookup, not a thread and a DNS query per question. (`.invalid` never resolves,
    /// RFC 2606: only the kept address can answer.)
    @Test func aKeptNameIsAnsweredWithoutALookup() throws {
        let loop = try EventLoop()
        let address = try SocketAddress.make(host: "127.0.0.9", port: 4711)
        var answers: [Result<sockaddr_storage, SystemError>] = []
        HostResolver.keep(address, for: "kept.invalid:4711")
        HostResolver.resolve(host: "kept.invalid", port: 4711, on: loop) { answers.append($0) }
        loop.schedule(afterNanoseconds: 3_000_000_000) { loop.stop() }
        loop.scheduleRepeating(everyNanoseconds: 10_000_000) { if !answers.isEmpty { loop.stop() } }
        loop.run()
        var expected = address
        let kept = withUnsafeBytes(of: &expected) { Array($0) }
        #expect(answers.map { answer -> [UInt8]? in
            guard case .success(var a) = answer else { return nil }
            return withUnsafeBytes(of: &a) { Array($0) }
        } == [kept])
        // Another port is another name (not looked up here: this machine may have no DNS).
        #expect(HostResolver.isKept(host: "kept.invalid", port: 4711) && !HostResolver.isKept(host: "kept.invalid", port: 4712))
    }
}
