// libFuzzer harness for phone numbers (built with the Phones sources and the CPhoneNumber
// shim, itself instrumented, by scripts/fuzz): arbitrary bytes, as text and raw through the
// C API. No crash and no C++ exception escaping; whatever is accepted is "+" and digits,
// and reading its E.164 form again, with no region, gives the same text.

import CPhoneNumber

let kenya = PhoneNormalizer(defaultRegion: "KE")!
let anywhere = PhoneNormalizer(defaultRegion: nil)!

func check(_ e164: String?, from text: String) {
    guard let e164 else { return }
    let bytes = Array(e164.utf8)
    guard bytes.count >= 3, bytes.count < Int(LH_PHONE_E164_CAPACITY), bytes[0] == UInt8(ascii: "+"),
          bytes.dropFirst().allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
        fatalError("\(text.debugDescription) gave \(e164.debugDescription)")
    }
    guard anywhere.e164(e164) == e164 else {
        fatalError("\(text.debugDescription) gave \(e164), which reads as \(anywhere.e164(e164).debugDescription)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    check(kenya.e164(text), from: text)
    check(anywhere.e164(text), from: text)
    // The raw bytes (invalid UTF-8, NUL, any length) straight to the shim, into a buffer
    // one byte short and one just long enough.
    data.withMemoryRebound(to: CChar.self, capacity: count) { chars in
        for capacity in [1, 8, Int(LH_PHONE_E164_CAPACITY)] {
            var out = [CChar](repeating: 0x55, count: capacity)
            let written = out.withUnsafeMutableBufferPointer { lh_phone_e164(chars, count, "KE", $0.baseAddress, capacity) }
            if written >= capacity || written == 0 || written < -1 || (written > 0 && out[Int(written)] != 0) {
                fatalError("wrote \(written) into \(capacity)")
            }
        }
    }
    return 0
}
