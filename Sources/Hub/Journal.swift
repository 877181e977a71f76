import Glibc

/// `DATA/journal`: the money records, appended before a write is acknowledged.
///
///     record = body length u32 | CRC-32 of body u32 | body (LSN u64, JournalRecord)
///
/// With `always`, every append is followed by fdatasync; with `batch` the caller calls
/// `sync()` once for all the appends of a loop turn, before any of their answers leave
/// (group commit). A torn or damaged tail (a crash mid-append) ends the readable journal
/// and is cut off, with the number of bytes said.
///
/// Compaction keeps the journal covering both snapshots on disk: after a snapshot is
/// saved, only the records since the one before it stay. If the newest snapshot turns out
/// damaged, `snapshot.prev` plus the journal still give every acknowledged write.
public final class Journal {
    public enum SyncPolicy: String, Sendable {
        case always
        case batch
    }

    public typealias Failure = FileBytes.Failure

    public struct Contents {
        public var records: [(lsn: UInt64, record: JournalRecord)] = []
        /// Bytes at the end that could not be read (cut off on open).
        public var damagedBytes = 0
        public var damage: String?
    }

    public let path: String
    public let policy: SyncPolicy
    private var fd: Int32
    public private(set) var lastLSN: UInt64
    private var size: Int
    /// Where the records after the newest snapshot start.
    private var snapshotMark = 0
    private var unsynced = false

    /// Reads what is there (cutting a damaged tail), then opens for appending.
    public static func open(path: String, policy: SyncPolicy) throws(Failure) -> (Journal, Contents) {
        let bytes = try FileBytes.read(path) ?? []
        let contents = decode(bytes)
        let validSize = bytes.count - contents.damagedBytes
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): errno \(errno)") }
        if contents.damagedBytes > 0 {
            guard ftruncate(fd, off_t(validSize)) == 0, fsync(fd) == 0 else {
                Glibc.close(fd)
                throw Failure(description: "cannot cut the damaged end of \(path): errno \(errno)")
            }
        }
        let journal = Journal(path: path, policy: policy, fd: fd, lastLSN: contents.records.last?.lsn ?? 0, size: validSize)
        return (journal, contents)
    }

    private init(path: String, policy: SyncPolicy, fd: Int32, lastLSN: UInt64, size: Int) {
        self.path = path
        self.policy = policy
        self.fd = fd
        self.lastLSN = lastLSN
        self.size = size
    }

    deinit { Glibc.close(fd) }

    /// Never goes back: a snapshot's LSN may be ahead of an emptied journal's.
    public func advanceLSN(to lsn: UInt64) { lastLSN = max(lastLSN, lsn) }

    /// Appends one record; durable on return with `always`, after `sync()` with `batch`.
    ///
    /// The record is written at the journal's known end (`pwrite`, not the file position),
    /// and a failed or short write is rolled back: the file is cut back to that end. So a
    /// torn record (a full disk, an I/O error) is never followed by good ones, which a
    /// restart would otherwise cut off with it.
    public func append(_ record: JournalRecord) throws(Failure) {
        var body = ByteWriter()
        body.u64(lastLSN + 1)
        record.encode(into: &body)
        var frame = ByteWriter()
        frame.u32(UInt32(body.bytes.count))
        frame.u32(CRC32.checksum(body.bytes[...]))
        let bytes = frame.bytes + body.bytes
        do throws(Failure) {
            try cutTornTail()
            try FileBytes.writeAll(fd, bytes, at: size, what: path)
            if policy == .always {
                guard fdatasync(fd) == 0 else { throw Failure(description: "fdatasync \(path): \(String(cString: strerror(errno)))") }
            }
        } catch {
            tornTail = true
            try? cutTornTail()
            throw error
        }
        lastLSN += 1
        size += bytes.count
        unsynced = policy == .batch
    }

    /// True while bytes of a failed append may lie past `size`.
    private var tornTail = false

    private func cutTornTail() throws(Failure) {
        guard tornTail else { return }
        guard ftruncate(fd, off_t(size)) == 0 else {
            throw Failure(description: "cannot cut a failed append off \(path): \(String(cString: strerror(errno)))")
        }
        tornTail = false
    }

    public var needsSync: Bool { unsynced }

    public func sync() throws(Failure) {
        guard unsynced else { return }
        guard fdatasync(fd) == 0 else { throw Failure(description: "fdatasync \(path): errno \(errno)") }
        unsynced = false
    }

    /// Called right after a snapshot holding everything up to `lastLSN` was saved: drops
    /// the records the previous snapshot already held.
    ///
    /// `capturedSize` is `position` when the snapshot's state was captured: records
    /// appended while it was being written stay after the new mark.
    public func snapshotSaved(capturedSize: Int? = nil) throws(Failure) {
        try sync()
        let captured = min(capturedSize ?? size, size)
        var shift = 0
        if snapshotMark > 0 {
            guard let all = try FileBytes.read(path), all.count >= size, snapshotMark <= size else {
                throw Failure(description: "cannot reread \(path) to compact it")
            }
            let kept = Array(all[snapshotMark..<size])
            let temp = path + ".tmp"
            let tempFD = Glibc.open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard tempFD >= 0 else { throw Failure(description: "cannot create \(temp): errno \(errno)") }
            // A compaction that fails (a full disk) leaves the journal as it was and no
            // temp file behind; the next snapshot tries again.
            do throws(Failure) {
                try FileBytes.writeAll(tempFD, kept, at: 0, what: temp)
                guard fsync(tempFD) == 0, rename(temp, path) == 0 else {
                    throw Failure(description: "cannot replace \(path): \(String(cString: strerror(errno)))")
                }
            } catch {
                Glibc.close(tempFD)
                unlink(temp)
                throw error
            }
            FileBytes.syncDirectory(of: path)
            Glibc.close(fd)
            fd = tempFD
            shift = snapshotMark
            size = kept.count
            tornTail = false
        }
        snapshotMark = max(0, captured - shift)
    }

    /// The journal's end: what a snapshot captured now covers.
    public var position: Int { size }

    static func decode(_ bytes: [UInt8]) -> Contents {
        var contents = Contents()
        var reader = ByteReader(bytes)
        while reader.remaining > 0 {
            let start = reader.offset
            do {
                let length = Int(try reader.u32())
                let crc = try reader.u32()
                guard length >= 9, reader.remaining >= length else { throw ByteReader.Truncated() }
                let body = Array(bytes[reader.offset..<(reader.offset + length)])
                guard CRC32.checksum(body[...]) == crc else {
                    contents.damage = "checksum mismatch at byte \(start)"
                    contents.damagedBytes = bytes.count - start
                    return contents
                }
                var bodyReader = ByteReader(body)
                let lsn = try bodyReader.u64()
                let record = try JournalRecord.decode(from: &bodyReader)
                _ = try reader.skip(length)
                contents.records.append((lsn, record))
            } catch {
                contents.damage = contents.damage ?? "incomplete record at byte \(start) (a write cut short)"
                contents.damagedBytes = bytes.count - start
                return contents
            }
        }
        return contents
    }
}
