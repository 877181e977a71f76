import CLinux
import Glibc
import Synchronization
import Testing
@testable import Reactor

@Suite("Event loop timers and cross-thread tasks")
struct EventLoopTests {
    @Test func timersRunInDeadlineOrderAndCancelledOnesDoNot() throws {
        let loop = try EventLoop()
        var order: [Int] = []
        loop.schedule(afterNanoseconds: 30_000_000) { order.append(3) }
        loop.schedule(afterNanoseconds: 10_000_000) { order.append(1) }
        let cancelled = loop.schedule(afterNanoseconds: 20_000_000) { order.append(99) }
        loop.schedule(afterNanoseconds: 20_000_000) { order.append(2) }
        loop.cancel(cancelled)
        loop.schedule(afterNanoseconds: 40_000_000) { loop.stop() }
        loop.run()
        #expect(order == [1, 2, 3])
    }

    @Test func repeatingTimerRunsUntilCancelledFromItsOwnCallback() throws {
        let loop = try EventLoop()
        var runs = 0
        var id: TimerID?
        id = loop.scheduleRepeating(everyNanoseconds: 1_000_000) {
            runs += 1
            if runs == 3, let id { loop.cancel(id) }
        }
        loop.schedule(afterNanoseconds: 50_000_000) { loop.stop() }
        loop.run()
        #expect(runs == 3)
    }

    @Test func aTaskFromAnotherThreadWakesTheLoop() throws {
        let group = try ReactorGroup(loops: 1)
        let ran = Flag()
        try group.start { _ in }
        group.handles[0].execute { loop in
            ran.value.store(true, ordering: .relaxed)
            loop.stop()
        }
        group.join()  // returns only if the task ran and stopped the loop
        let didRun = ran.value.load(ordering: .relaxed)
        #expect(didRun)
    }

    /// A server prints that it is ready once `start` returns: every loop's setup has run by
    /// then, loop 0's first (the hub lives there; the others serve what it publishes).
    @Test func startReturnsOnceEverySetupHasRunInLoopOrder() throws {
        let group = try ReactorGroup(loops: 4)
        let order = Mutex<[Int]>([])
        try group.start { loop in
            if loop.index == 0 { usleep(50_000) }  // a slow first setup (a snapshot to restore)
            order.withLock { $0.append(loop.index) }
        }
        let seen = order.withLock { $0 }
        #expect(seen == [0, 1, 2, 3])
        for handle in group.handles { handle.execute { $0.stop() } }
        group.join()
    }
}

final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

/// What arrives while a turn's events are handled joins that turn when end-of-turn work
/// waits (a room's writes): messages sent together go out together.
@Suite("Event loop: input before output")
struct EventLoopInputBeforeOutputTests {
    final class Reader: EventHandler {
        let fd: Int32
        let onRead: () -> Void
        init(fd: Int32, onRead: @escaping () -> Void) {
            self.fd = fd
            self.onRead = onRead
        }
        func handleEvents(_ events: UInt32) {
            var byte: UInt8 = 0
            while recv(fd, &byte, 1, 0) > 0 {}
            onRead()
        }
    }

    @Test func inputArrivingDuringATurnIsHandledBeforeItsEndOfTurnWork() throws {
        let loop = try EventLoop()
        var a: [Int32] = [0, 0], b: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &a) == 0)
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &b) == 0)
        var order: [String] = []
        var one: UInt8 = 1
        // A's event makes B readable (as a second message arriving mid-turn would) and
        // leaves work for the end of the turn.
        let readerA = Reader(fd: a[0]) {
            order.append("A")
            _ = send(b[1], &one, 1, 0)
            loop.atEndOfTurn { order.append("end") }
        }
        let readerB = Reader(fd: b[0]) {
            order.append("B")
            loop.stop()
        }
        try loop.register(fd: a[0], events: UInt32(EPOLLIN.rawValue), handler: readerA)
        try loop.register(fd: b[0], events: UInt32(EPOLLIN.rawValue), handler: readerB)
        _ = send(a[1], &one, 1, 0)
        loop.schedule(afterNanoseconds: 2_000_000_000) { loop.stop() }
        loop.run()
        #expect(order.prefix(3) == ["A", "B", "end"])
        for fd in a + b { close(fd) }
    }
}
