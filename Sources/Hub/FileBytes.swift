import Glibc

/// Whole-file reads and complete writes, for the snapshot and the secret (and a journal-era
/// data dir's journal, read by `LegacyImport`).
public enum FileBytes {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The file's bytes, or nil if it does not exist.
    public static func read(_ path: String) throws(Failure) -> [UInt8]? {
        guard let file = fopen(path, "rb") else {
            if errno == ENOENT { return nil }
            throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        if ferror(file) != 0 { throw Failure(description: "cannot read \(path)") }
        return bytes
    }

    /// Writes every byte at `offset` (pwrite: the file position is not used), retrying
    /// short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int, what: String) throws(Failure) {
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset + written)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "cannot write \(what): \(String(cString: strerror(errno)))") }
            written += n
        }
    }

    /// fsync of the directory holding `path`, so a rename into it survives a crash.
    public static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
