import Glibc
import Hub

/// `DATA/journal` of a v1/v2 data dir: the money records that hub appended before it
/// acknowledged a write.
///
///     record = body length u32 | CRC-32 of body u32 | body (LSN u64, JournalRecord)
///
/// Only read now, once, by the import. A torn or damaged tail (that hub killed mid-append,
/// so the write was never acknowledged) ends the readable journal and is cut off the file,
/// with the number of bytes said, so `journal.imported` holds exactly what was taken in.
public enum Journal {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public struct Contents {
        public var records: [(lsn: UInt64, record: JournalRecord)] = []
        /// Bytes at the end that could not be read (cut off on reading).
        public var damagedBytes = 0
        public var damage: String?
    }

    /// Reads what is there, cutting a damaged tail off the file.
    public static func read(path: String) throws(Failure) -> Contents {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) ?? [] } catch { throw Failure(description: error.description) }
        let contents = decode(bytes)
        guard contents.damagedBytes > 0 else { return contents }
        let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): errno \(errno)") }
        defer { Glibc.close(fd) }
        guard ftruncate(fd, off_t(bytes.count - contents.damagedBytes)) == 0, fsync(fd) == 0 else {
            throw Failure(description: "cannot cut the damaged end of \(path): errno \(errno)")
        }
        return contents
    }

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
