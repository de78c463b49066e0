import Contracts
import Cryptography
import Foundation
import Postgres
import RPC
import TestSupport
import Testing

@testable import AgentsService

@Suite("Provider keys")
struct ProviderKeyTests {
    @Test("a key is write-only: sealed with a key id, shown as set and its last four only")
    func writeOnly() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: admin)
        let set = try await fixture.call(
            Agents.Service.setProviderKey,
            Agents.SetProviderKeyRequest(agentId: agent.id, providerKey: AgentsFixture.secretKey), as: admin)
        #expect(set.providerKeySet)
        #expect(set.providerKeyLast4 == "ret1")
        let read = try await fixture.call(Agents.Service.getAgent, Agents.GetAgentRequest(agentId: agent.id), as: admin)
        #expect(read.providerKeySet && read.providerKeyLast4 == "ret1")
        // Nothing the API returns carries the key.
        let list = try await fixture.call(Agents.Service.listAgents, Agents.ListAgentsRequest(), as: admin)
        for text in [String(describing: set), String(describing: read), String(describing: list)] {
            #expect(!text.contains("SUPERSECRET"))
        }
        // Stored sealed, with the ring's key id inside, bound to the agent.
        let stored = try await fixture.database.query(
            "SELECT openai_api_key_encrypted AS k FROM agents WHERE id = $1", [UUID(uuidString: agent.id)!]
        ).firstRow!.decode(String.self, "k")
        #expect(!stored.contains("SUPERSECRET"))
        let sealed = try SealedValue(text: stored)
        #expect(sealed.keyID == "k1")
        #expect(
            try fixture.keyRing.openText(
                stored, associatedData: ProviderKey.associatedData(UUID(uuidString: agent.id)!))
                == AgentsFixture.secretKey)
        // Copied to another agent's row it does not open.
        #expect(throws: CryptographyError.self) {
            try fixture.keyRing.openText(stored, associatedData: ProviderKey.associatedData(UUID()))
        }
        // Events never carry it.
        for event in try await fixture.events(agentID: agent.id) { #expect(!event.contains("SUPERSECRET")) }
        #expect(!fixture.logs.text.contains("SUPERSECRET"))

        let removed = try await fixture.call(
            Agents.Service.deleteProviderKey, Agents.DeleteProviderKeyRequest(agentId: agent.id), as: admin)
        #expect(!removed.providerKeySet && removed.providerKeyLast4 == "")
        let row = try await fixture.database.query(
            "SELECT openai_api_key_encrypted IS NULL AS gone FROM agents WHERE id = $1", [UUID(uuidString: agent.id)!])
        #expect(try row.firstRow!.decode(Bool.self, "gone"))
    }

    @Test("a malformed key is refused")
    func badKey() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: admin)
        for key in ["short", "has spaces in the key", String(repeating: "x", count: 600), "ção-ção-ção"] {
            let code = await fixture.failure {
                try await fixture.call(
                    Agents.Service.setProviderKey, Agents.SetProviderKeyRequest(agentId: agent.id, providerKey: key),
                    as: admin)
            }
            #expect(code == .invalidArgument)
        }
    }

    @Test("a key sealed under another master key fails cleanly: FAILED, handed off, no provider call")
    func wrongMasterKey() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let admin = AgentsFixture.principal()
        let agent = try await fixture.liveAgent(as: admin, provider: provider)
        // The service now runs with another key under the same id (a lost or wrong master key).
        let other = try KeyRing(configuration: "k1:\(Base64.encode(SecureRandom.bytes(count: 32)))")
        let rotatedAway = fixture.with(keyRing: other)
        let reply = try await rotatedAway.generate(agent, history: [turn("contact", "Oi")])
        #expect(reply.outcome == .failed)
        #expect(reply.handoff)
        #expect(reply.handoffReason.contains("provider key cannot be opened"))
        #expect(provider.received.isEmpty)
        // A ring that lacks the key id says so too.
        let withoutID = fixture.with(
            keyRing: try KeyRing(configuration: "k2:\(Base64.encode(SecureRandom.bytes(count: 32)))"))
        let second = try await withoutID.generate(agent, history: [turn("contact", "Oi")])
        #expect(second.outcome == .failed)
        #expect(!fixture.logs.text.contains("SUPERSECRET"))
    }

    @Test("a rotated ring opens keys sealed with the old key and seals new ones with the new")
    func rotation() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let admin = AgentsFixture.principal()
        let agent = try await fixture.liveAgent(as: admin, provider: provider)
        let rotated = fixture.with(
            keyRing: try KeyRing(
                configuration:
                    "k2:\(Base64.encode(SecureRandom.bytes(count: 32))),\(SharedAgentsDatabase.keyConfiguration)"))
        provider.script(.analysis("Olá!"))
        let reply = try await rotated.generate(agent, history: [turn("contact", "Oi")])
        #expect(reply.outcome == .replied)
        #expect(provider.received.first?.authorization == "Bearer \(AgentsFixture.secretKey)")
        let other = try await rotated.createAgent(as: admin)
        _ = try await rotated.call(
            Agents.Service.setProviderKey,
            Agents.SetProviderKeyRequest(agentId: other.id, providerKey: "sk-another-key-1234"),
            as: admin)
        let stored = try await fixture.database.query(
            "SELECT openai_api_key_encrypted AS k FROM agents WHERE id = $1", [UUID(uuidString: other.id)!]
        ).firstRow!.decode(String.self, "k")
        #expect(try SealedValue(text: stored).keyID == "k2")
    }
}
