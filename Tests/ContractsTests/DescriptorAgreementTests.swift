import CProtobufC
import Contracts
import ContractsC
import Testing

@Suite("The Swift face agrees with the protobuf-c descriptors")
struct DescriptorAgreementTests {
    @Test("each message's proto name is its C descriptor's name")
    func messageNames() {
        func name<M: CBridgedMessage>(_ type: M.Type) -> String { String(cString: M.cDescriptor.pointee.name) }
        #expect(name(Common.HealthResponse.self) == Common.HealthResponse.protoName)
        #expect(name(Envelope.RequestHeader.self) == Envelope.RequestHeader.protoName)
        #expect(name(Envelope.Principal.self) == Envelope.Principal.protoName)
        #expect(name(ContractsFixture.Everything.self) == ContractsFixture.Everything.protoName)
        #expect(name(ContractsFixture.Everything.Inner.self) == ContractsFixture.Everything.Inner.protoName)
    }

    @Test("every method descriptor names a method its service's C descriptor declares")
    func methods() {
        #expect(ContractsFixture.Service.descriptor.methods == ["GetPoint", "Echo"])
        #expect(ContractsFixture.Service.descriptor.declares(ContractsFixture.Service.getPoint.fullName))
        #expect(ContractsFixture.Service.getPoint.isIdempotent && !ContractsFixture.Service.echo.isIdempotent)
        for (service, method) in [
            (Identity.Service.descriptor, Identity.Service.health.fullName),
            (Agents.Service.descriptor, Agents.Service.health.fullName),
            (Conversations.Service.descriptor, Conversations.Service.health.fullName),
            (CRM.Service.descriptor, CRM.Service.health.fullName),
            (Hooks.Service.descriptor, Hooks.Service.health.fullName),
            (Analytics.Service.descriptor, Analytics.Service.health.fullName),
        ] {
            #expect(service.declares(method), "\(method)")
        }
    }

    @Test("the C table lists every message, map entries included")
    func allMessages() {
        var count = 0
        let table = smarterchat_contracts_all_messages(&count)!
        let names = (0..<count).map { String(cString: table[$0]!.pointee.name) }
        #expect(names.contains("smarterchat.testing.Everything.LabelsEntry"))
        #expect(names.contains(Envelope.GoAway.protoName))
    }
}
