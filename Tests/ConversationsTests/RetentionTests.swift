import Contracts
import Foundation
import Postgres
import Synchronization
import Testing

@testable import ConversationsService

@Suite("Retention: old messages go, long-closed conversations are archived", .serialized)
struct ConversationRetentionTests {
    @Test("messages past the retention period are deleted and a closed conversation is archived after 90 days")
    func retention() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: admin)
        _ = try await fixture.deliver(Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "new"), to: channel)
        let conversationID = try await fixture.database.query(
            "SELECT id FROM conversations WHERE channel_id = $1", [UUID(uuidString: channel.id)!]
        ).firstRow!.decode(UUID.self, "id")
        try await fixture.database.execute(
            """
            INSERT INTO messages (conversation_id, sender_type, content, direction, created_at)
            VALUES ($1, 'contact', 'ancient', 'inbound', CURRENT_TIMESTAMP - INTERVAL '400 days')
            """, [conversationID])
        // Its timeline row, with the text, is as old.
        try await fixture.database.execute(
            """
            INSERT INTO conversation_events (organization_id, conversation_id, event_type, actor_type, payload, created_at)
            VALUES ($1, $2, 'message.received', 'contact', '{"content":"ancient"}', CURRENT_TIMESTAMP - INTERVAL '400 days')
            """, [UUID(uuidString: admin.organizationId)!, conversationID])
        try await fixture.database.execute(
            "UPDATE conversations SET status = 'closed', closed_at = CURRENT_TIMESTAMP - INTERVAL '91 days' WHERE id = $1",
            [conversationID])
        // Other tests' runs may do part of the work: the state is what counts.
        _ = try await fixture.database.withConnection { try await ConversationRetention.run(on: $0) }
        let contents = try await fixture.database.query(
            "SELECT content FROM messages WHERE conversation_id = $1", [conversationID])
        #expect(try contents.map { try $0.decode(String.self, "content") } == ["new"])
        // The old text is gone from the timeline too; the recent message's row stays.
        let texts = try await fixture.database.query(
            """
            SELECT payload->>'content' AS text FROM conversation_events
            WHERE conversation_id = $1 AND event_type = 'message.received' ORDER BY seq
            """, [conversationID]
        ).map { try $0.decode(String.self, "text") }
        #expect(texts == ["new"])
        let status = try await fixture.database.query(
            "SELECT status FROM conversations WHERE id = $1", [conversationID]
        ).firstRow!.decode(String.self, "status")
        #expect(status == "archived")
    }

    @Test("an organization's shorter retention (from its settings) deletes its messages sooner, not others'")
    func perOrganizationRetention() async throws {
        let fixture = try await IngestFixture.shared()
        let short = IngestFixture.newAdmin(), standard = IngestFixture.newAdmin()
        fixture.identity.settings.withLock {
            $0[short.organizationId] = #"{"conversations":{"message_retention_days":30}}"#
        }
        var conversations: [UUID] = []
        for admin in [short, standard] {
            let channel = try await fixture.whatsAppChannel(for: admin)
            // Listing channels copies the organization's retention setting.
            _ = try await fixture.call(
                Conversations.Service.listChannels, Conversations.ListChannelsRequest(), as: admin)
            _ = try await fixture.deliver(
                Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "recent"), to: channel)
            let id = try await fixture.database.query(
                "SELECT id FROM conversations WHERE channel_id = $1", [UUID(uuidString: channel.id)!]
            ).firstRow!.decode(UUID.self, "id")
            try await fixture.database.execute(
                """
                INSERT INTO messages (conversation_id, sender_type, content, direction, created_at)
                VALUES ($1, 'contact', 'forty days old', 'inbound', CURRENT_TIMESTAMP - INTERVAL '40 days')
                """, [id])
            try await fixture.database.execute(
                """
                INSERT INTO conversation_events (organization_id, conversation_id, event_type, payload, created_at)
                VALUES ($1, $2, 'message.received', '{"content":"forty days old"}', CURRENT_TIMESTAMP - INTERVAL '40 days')
                """, [UUID(uuidString: admin.organizationId)!, id])
            conversations.append(id)
        }
        #expect(
            try await fixture.count(
                "SELECT message_retention_days::bigint AS n FROM retention_settings WHERE organization_id = $1",
                [UUID(uuidString: short.organizationId)!]) == 30)
        _ = try await fixture.database.withConnection { try await ConversationRetention.run(on: $0) }
        func contents(_ id: UUID) async throws -> [String] {
            try await fixture.database.query(
                "SELECT content FROM messages WHERE conversation_id = $1 ORDER BY content", [id]
            ).map { try $0.decode(String.self, "content") }
        }
        #expect(try await contents(conversations[0]) == ["recent"])
        #expect(try await contents(conversations[1]) == ["forty days old", "recent"])
        func timeline(_ id: UUID) async throws -> [String] {
            try await fixture.database.query(
                """
                SELECT payload->>'content' AS text FROM conversation_events
                WHERE conversation_id = $1 AND event_type = 'message.received' ORDER BY text
                """, [id]
            ).map { try $0.decode(String.self, "text") }
        }
        #expect(try await timeline(conversations[0]) == ["recent"])
        #expect(try await timeline(conversations[1]) == ["forty days old", "recent"])
    }

    @Test("an organization's retention applies though nobody uses the console: the job reads every setting")
    func retentionWithoutConsole() async throws {
        let fixture = try await IngestFixture.shared()
        let short = IngestFixture.newAdmin(), long = IngestFixture.newAdmin()
        fixture.identity.settings.withLock {
            $0[short.organizationId] = #"{"conversations":{"message_retention_days":30}}"#
            $0[long.organizationId] = #"{"conversations":{"message_retention_days":730}}"#
        }
        var conversations: [UUID] = []
        for admin in [short, long] {
            let channel = try await fixture.whatsAppChannel(for: admin)
            _ = try await fixture.deliver(
                Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "recent"), to: channel)
            let id = try await fixture.database.query(
                "SELECT id FROM conversations WHERE channel_id = $1", [UUID(uuidString: channel.id)!]
            ).firstRow!.decode(UUID.self, "id")
            try await fixture.database.execute(
                """
                INSERT INTO messages (conversation_id, sender_type, content, direction, created_at)
                VALUES ($1, 'contact', 'forty days old', 'inbound', CURRENT_TIMESTAMP - INTERVAL '40 days'),
                       ($1, 'contact', 'four hundred days old', 'inbound', CURRENT_TIMESTAMP - INTERVAL '400 days')
                """, [id])
            conversations.append(id)
        }
        // Nobody listed channels or opened the stream: no copy yet.
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM retention_settings WHERE organization_id = ANY($1::uuid[])",
                [[short.organizationId, long.organizationId].map { UUID(uuidString: $0)! }]) == 0)
        #expect(await fixture.retention.refreshAll())
        _ = try await fixture.database.withConnection { try await ConversationRetention.run(on: $0) }
        func contents(_ id: UUID) async throws -> [String] {
            try await fixture.database.query(
                "SELECT content FROM messages WHERE conversation_id = $1 ORDER BY created_at", [id]
            ).map { try $0.decode(String.self, "content") }
        }
        // 30 days: both old ones go; 730 days: both stay (not the default 365's cut).
        #expect(try await contents(conversations[0]) == ["recent"])
        #expect(try await contents(conversations[1]) == ["four hundred days old", "forty days old", "recent"])
        // A setting removed in identity goes back to the default at the next refresh.
        fixture.identity.settings.withLock { $0[long.organizationId] = "{}" }
        #expect(await fixture.retention.refreshAll())
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM retention_settings WHERE organization_id = $1",
                [UUID(uuidString: long.organizationId)!]) == 0)
    }

    @Test("old messages and receipts are deleted in batches until none is left")
    func batchedPurge() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: admin)
        let channelID = UUID(uuidString: channel.id)!
        _ = try await fixture.deliver(Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "new"), to: channel)
        let conversationID = try await fixture.database.query(
            "SELECT id FROM conversations WHERE channel_id = $1", [channelID]
        ).firstRow!.decode(UUID.self, "id")
        try await fixture.database.execute(
            """
            INSERT INTO messages (conversation_id, sender_type, content, direction, created_at)
            SELECT $1, 'contact', 'ancient ' || g, 'inbound', CURRENT_TIMESTAMP - INTERVAL '400 days'
            FROM generate_series(1, 5) g
            """, [conversationID])
        try await fixture.database.execute(
            """
            INSERT INTO inbound_receipts
                (channel_id, external_message_id, organization_id, conversation_id, message_id, received_at)
            SELECT $1, 'old.' || g, $2, $3, gen_random_uuid(), CURRENT_TIMESTAMP - INTERVAL '31 days'
            FROM generate_series(1, 5) g
            """, [channelID, UUID(uuidString: admin.organizationId)!, conversationID])
        // Finished deliveries (with the text) and reply jobs as old; an open delivery stays.
        try await fixture.database.execute(
            """
            INSERT INTO outbound_deliveries (organization_id, channel_id, conversation_id, kind, recipient, body,
                                             status, created_at)
            SELECT $1, $2, $3, 'text', '5511', jsonb_build_object('text', 'old ' || g),
                   CASE WHEN g = 5 THEN 'pending' ELSE 'sent' END, CURRENT_TIMESTAMP - INTERVAL '400 days'
            FROM generate_series(1, 5) g
            """, [UUID(uuidString: admin.organizationId)!, channelID, conversationID])
        try await fixture.database.execute(
            """
            INSERT INTO reply_jobs (organization_id, conversation_id, trigger_message_id, status, created_at)
            SELECT $1, $2, gen_random_uuid(), CASE WHEN g = 5 THEN 'pending' ELSE 'done' END,
                   CURRENT_TIMESTAMP - INTERVAL '31 days'
            FROM generate_series(1, 5) g
            """, [UUID(uuidString: admin.organizationId)!, conversationID])
        // Five of each in batches of two: one statement would leave three of each.
        _ = try await fixture.database.withConnection { try await ConversationRetention.run(batch: 2, on: $0) }
        let contents = try await fixture.database.query(
            "SELECT content FROM messages WHERE conversation_id = $1", [conversationID]
        ).map { try $0.decode(String.self, "content") }
        #expect(contents == ["new"])
        let receipts = try await fixture.database.query(
            "SELECT external_message_id FROM inbound_receipts WHERE channel_id = $1", [channelID]
        ).map { try $0.decode(String.self, "external_message_id") }
        #expect(receipts.count == 1 && !receipts[0].hasPrefix("old."))
        let deliveries = try await fixture.database.query(
            "SELECT status, body->>'text' AS text FROM outbound_deliveries WHERE conversation_id = $1", [conversationID]
        ).map { "\(try $0.decode(String.self, "status")) \(try $0.decode(String.self, "text"))" }
        #expect(deliveries == ["pending old 5"])
        let jobs = try await fixture.database.query(
            "SELECT status FROM reply_jobs WHERE conversation_id = $1 AND created_at < CURRENT_TIMESTAMP - interval '30 days'",
            [conversationID]
        ).map { try $0.decode(String.self, "status") }
        #expect(jobs == ["pending"])
    }
}
