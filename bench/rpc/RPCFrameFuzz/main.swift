// libFuzzer target for the RPC frame decoder and envelope headers: the whole path bytes from
// an untrusted peer reach before dispatch. Build and run with `make fuzz-rpc`
// (`swift build -Xswiftc -sanitize=fuzzer`). SwiftPM links this file's `main` as the
// program's entry point, so it hands control to libFuzzer's driver itself.
import NIOCore
import RPC

#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's `LLVMFuzzerRunDriver`, looked up at run time so that a plain `swift build`
/// (without `-sanitize=fuzzer`) still links this target. `make fuzz-rpc` links with
/// `--export-dynamic-symbol=LLVMFuzzerRunDriver` so that the lookup finds it.
typealias FuzzerDriver =
    @convention(c) (
        UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

/// One input: decode every frame and parse each call frame's envelope header.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = ByteBuffer(bytes: UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : count))
    // A small limit so the oversized path is reachable with small inputs too.
    _ = try? RPCFrameDecoder.parseAll(bytes, maximumFrameSize: 4096)
    _ = try? RPCFrameDecoder.parseAll(bytes)
    return 0
}

guard let driver = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "LLVMFuzzerRunDriver") else {
    print("RPCFrameFuzz: build with -Xswiftc -sanitize=fuzzer,address (make fuzz-rpc)")
    exit(2)
}
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(unsafeBitCast(driver, to: FuzzerDriver.self)(&argc, &argv, fuzzOne))
