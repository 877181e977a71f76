import CLinux
import Glibc
import Testing
@testable import Reactor

/// `TCPConnection.write(gathering:)`: a room's frames written straight from the shared
/// buffers, what the kernel does not take queued from the exact byte it stopped at.
@Suite("Gathered writes of shared frames")
struct GatheredWriteTests {
    /// 200 frames of 1,000 bytes into a socket whose buffer holds far less: part goes at
    /// once, the rest waits in the queue, and the peer reads every byte in order, then
    /// what was sent after.
    @Test(arguments: [false, true])
    func framesTheKernelDoesNotTakeAreQueuedFromWhereItStopped(somethingQueuedFirst: Bool) throws {
        let loop = try EventLoop()
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        var small: Int32 = 4096
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let connection = TCPConnection(fd: fds[0], loop: loop)
        try loop.register(fd: fds[0], events: UInt32(EPOLLIN.rawValue), handler: connection)

        let first: [UInt8] = somethingQueuedFirst ? Array("first ".utf8) : []
        if somethingQueuedFirst { connection.send(first) }
        let frames = (0..<200).map { i in OutboundBytes((0..<1000).map { UInt8(truncatingIfNeeded: i &* 7 &+ $0) }) }
        let unmanaged = frames.map { Unmanaged.passUnretained($0) }
        unmanaged.withUnsafeBufferPointer { connection.write(gathering: $0) }
        let total = frames.reduce(0) { $0 + $1.count }
        if somethingQueuedFirst {
            #expect(connection.queuedBytes == first.count + total)  // behind what waits, nothing written yet
        } else {
            #expect(connection.queuedBytes > 0 && connection.queuedBytes < total)  // part written, part queued
        }
        connection.send(Array(" last".utf8))

        let expected = first + frames.flatMap { $0.withUnsafeBytes { Array($0) } } + Array(" last".utf8)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        loop.scheduleRepeating(everyNanoseconds: 1_000_000) {
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fds[1], $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                received += buffer[0..<n]
            }
            if received.count >= expected.count { loop.stop() }
        }
        loop.schedule(afterNanoseconds: 5_000_000_000) { loop.stop() }
        loop.run()
        #expect(received == expected)
        #expect(connection.queuedBytes == 0)
        connection.close()
        Glibc.close(fds[1])
        withExtendedLifetime(frames) {}
    }
}
