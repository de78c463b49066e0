// libFuzzer target for the contracts bridge: arbitrary bytes through the Swift face of the
// protobuf contracts (`init(serializedBytes:)`, then pack and unpack again), checked against
// libprotobuf-c. Build and run with `make fuzz-contracts` (`swift build -Xswiftc
// -sanitize=fuzzer,address`). SwiftPM links this file's `main` as the program's entry point,
// so it hands control to libFuzzer's driver itself.
import Contracts

#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's `LLVMFuzzerRunDriver`, looked up at run time so that a plain `swift build`
/// (without `-sanitize=fuzzer`) still links this target. `make fuzz-contracts` links with
/// `--export-dynamic-symbol=LLVMFuzzerRunDriver` so that the lookup finds it.
typealias FuzzerDriver =
    @convention(c) (
        UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

/// One input, decoded as every message type below: the test fixture with every field kind
/// first, then the real messages that cross the wire on every call.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : count)
    BridgeRoundTrip.check(ContractsFixture.Everything.self, input)
    BridgeRoundTrip.check(ContractsFixture.EverythingV1.self, input)
    BridgeRoundTrip.check(ContractsFixture.Point.self, input)
    BridgeRoundTrip.check(ContractsFixture.Nothing.self, input)
    BridgeRoundTrip.check(Envelope.RequestHeader.self, input)
    BridgeRoundTrip.check(Envelope.ResponseHeader.self, input)
    BridgeRoundTrip.check(Envelope.Principal.self, input)
    BridgeRoundTrip.check(Envelope.GoAway.self, input)
    BridgeRoundTrip.check(Common.HealthResponse.self, input)
    BridgeRoundTrip.check(Common.MetricsResponse.self, input)
    return 0
}

guard let driver = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "LLVMFuzzerRunDriver") else {
    print("ContractsFuzz: build with -Xswiftc -sanitize=fuzzer,address (make fuzz-contracts)")
    exit(2)
}
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(unsafeBitCast(driver, to: FuzzerDriver.self)(&argc, &argv, fuzzOne))
