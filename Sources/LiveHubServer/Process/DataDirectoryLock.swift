import Glibc

/// One hub per data dir: `DATA/lock`, held with `flock` for the life of the process (the
/// kernel drops it when the process dies, even by kill -9, so a crash never leaves a stale
/// lock). The holder's pid is written in it, for the message a second hub prints.
public final class DataDirectoryLock {
    private let fd: Int32

    public struct Held: Error, CustomStringConvertible {
        public let description: String
    }

    public init(directory: String) throws(Held) {
        let path = directory + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Held(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            let holder = n > 0 ? String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: " \n") : "another process"
            close(fd)
            throw Held(description: "another livehub (pid \(holder)) is using the data dir \(directory): stop it first, or give this one its own --data-dir")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        self.fd = fd
    }

    deinit { close(fd) }
}
