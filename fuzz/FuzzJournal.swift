// libFuzzer harness for the journal and snapshot record decoder: the input is framed as a
// journal record (so the checksum passes and the body decoder sees attacker bytes), then
// the whole journal decoder reads it. No crash; a record that decodes encodes back to the
// same record.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: count))
    var frame = ByteWriter()
    frame.u32(UInt32(body.count))
    frame.u32(CRC32.checksum(body[...]))
    // The raw input as a journal too (framing errors, torn tails).
    _ = Journal.decode(body)
    let contents = Journal.decode(frame.bytes + body)
    for (lsn, record) in contents.records {
        var again = ByteWriter()
        again.u64(lsn)
        record.encode(into: &again)
        var framed = ByteWriter()
        framed.u32(UInt32(again.bytes.count))
        framed.u32(CRC32.checksum(again.bytes[...]))
        let reread = Journal.decode(framed.bytes + again.bytes)
        guard reread.records.count == 1, reread.records[0].record == record, reread.records[0].lsn == lsn else {
            fatalError("record \(record) did not survive encode/decode")
        }
    }
    return 0
}
