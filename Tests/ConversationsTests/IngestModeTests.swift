import Contracts
import Foundation
import Postgres
import Testing

@testable import ConversationsService

@Suite("Ingest asks for a reply in the modes where the AI answers")
struct IngestModeTests {
    @Test("a contact's message gets a reply job in modes ai and hybrid, none in mode human")
    func replyJobsByMode() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: admin)
        let from = "5511\(Int.random(in: 100_000_000...999_999_999))"
        _ = try await fixture.deliver(
            Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", from: from, text: "oi"), to: channel)
        let conversationID = try await fixture.database.query(
            "SELECT id FROM conversations WHERE channel_id = $1", [UUID(uuidString: channel.id)!]
        ).firstRow!.decode(UUID.self, "id")
        var jobs: [Int] = []
        for mode in ["ai", "hybrid", "human"] {
            // No job left pending, so that each message's own job counts.
            try await fixture.database.execute(
                "UPDATE reply_jobs SET status = 'skipped' WHERE conversation_id = $1", [conversationID])
            try await fixture.database.execute(
                "UPDATE conversations SET mode = $2 WHERE id = $1", [conversationID, mode])
            _ = try await fixture.deliver(
                Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", from: from, text: "em \(mode)"), to: channel)
            jobs.append(
                try await fixture.count(
                    "SELECT count(*)::bigint AS n FROM reply_jobs WHERE conversation_id = $1 AND status = 'pending'",
                    [conversationID]))
        }
        #expect(jobs == [1, 1, 0])
    }

    @Test("a reaction and an unsupported event are stored but not answered; a text after them is")
    func reactionsAndUnsupportedAreNotAnswered() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.instagramChannel(for: admin)
        let sender = "\(Int.random(in: 1_000_000...9_999_999))"
        let reaction = Payloads.instagramEvent(
            #""reaction":{"mid":"m.1","action":"react","reaction":"love","emoji":"❤️"}"#, sender: sender,
            timestamp: 1_700_000_000_000)
        let edit = Payloads.instagramEvent(
            #""message_edit":{"mid":"m.0","text":"oi, tudo bem?","num_edit":1}"#, sender: sender,
            timestamp: 1_700_000_001_000)
        #expect(try await fixture.deliver(reaction, to: channel, secret: "ig-secret").messagesStored == 1)
        #expect(try await fixture.deliver(edit, to: channel, secret: "ig-secret").messagesStored == 1)
        func stored() async throws -> (types: [String], contents: [String], jobs: Int64) {
            let rows = try await fixture.database.query(
                """
                SELECT m.content_type, m.content,
                       (SELECT count(*) FROM reply_jobs j WHERE j.conversation_id = c.id)::bigint AS jobs
                FROM conversations c JOIN messages m ON m.conversation_id = c.id WHERE c.channel_id = $1
                ORDER BY m.created_at
                """, [UUID(uuidString: channel.id)!])
            let types = try rows.map { try $0.decode(String.self, "content_type") }
            let contents = try rows.map { try $0.decode(String.self, "content") }
            return (types, contents, try rows.firstRow?.decode(Int64.self, "jobs") ?? -1)
        }
        let before = try await stored()
        #expect(before.types == ["reaction", "unsupported"] && before.contents.first == "❤️")
        #expect(before.jobs == 0)
        // The agent still answers the contact's next message.
        let text = Payloads.instagramEvent(
            #""message":{"mid":"m.2","text":"quanto custa?"}"#, sender: sender, timestamp: 1_700_000_002_000)
        #expect(try await fixture.deliver(text, to: channel, secret: "ig-secret").messagesStored == 1)
        let after = try await stored()
        #expect(after.types == ["reaction", "unsupported", "text"] && after.jobs == 1)
    }
}
