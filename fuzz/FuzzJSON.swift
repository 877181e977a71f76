// libFuzzer harness for the JSON parser (built with the server's JSON files by
// scripts/fuzz): no crash, and whatever parses writes back to text that parses to the
// same value.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    var writer = JSONWriter()
    writer.value(value)
    guard let again = try? JSONParser.parse(writer.bytes), again == value else {
        fatalError("round trip changed \(value) into \(writer.text)")
    }
    return 0
}
