import Contracts
import Foundation
import Postgres
import RPC
import Synchronization
import Testing

@testable import ConversationsService

@Suite("Inbound callbacks: signatures, parsing, idempotent ingest in one transaction")
struct IngestTests {
    @Test("a secret changed on this replica applies to the next callback, though the channel was kept")
    func channelWriteDropsKeptChannel() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: admin, appSecret: "first-secret")
        let body = #"{"object":"whatsapp_business_account","entry":[]}"#
        _ = try await fixture.deliver(body, to: channel, secret: "first-secret")
        _ = try await fixture.call(
            Conversations.Service.updateChannel,
            Conversations.UpdateChannelRequest(
                channelId: channel.id, config: Conversations.ChannelSecrets(appSecret: "second-secret")), as: admin)
        _ = try await fixture.deliver(body, to: channel, secret: "second-secret")
        #expect(
            await fixture.failure { try await fixture.deliver(body, to: channel, secret: "first-secret") }
                == .unauthenticated)
    }

    @Test("a signed WhatsApp text opens the conversation, links the lead, asks for a reply and emits events")
    func whatsAppTextStoresEverything() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: admin)
        let wamid = "wamid.\(UUID().uuidString)"
        let stored = try await fixture.deliver(Payloads.whatsAppText(id: wamid, text: "hello"), to: channel)
        #expect(stored.messagesStored == 1 && stored.duplicates == 0)

        let channelID = UUID(uuidString: channel.id)!
        let rows = try await fixture.database.query(
            """
            SELECT c.id, c.contact_identifier, c.contact_name, c.lead_id IS NOT NULL AS has_lead, c.message_count,
                   m.content, m.content_type, m.direction, m.sender_type, m.external_id
            FROM conversations c JOIN messages m ON m.conversation_id = c.id WHERE c.channel_id = $1
            """, [channelID])
        let row = try #require(rows.firstRow)
        #expect(try row.decode(String.self, "contact_identifier") == "16505551234")
        #expect(try row.decode(String.self, "contact_name") == "Sheena Nelson")
        #expect(try row.decode(Bool.self, "has_lead"))
        #expect(try row.decode(Int.self, "message_count") == 1)
        #expect(try row.decode(String.self, "content") == "hello")
        #expect(try row.decode(String.self, "sender_type") == "contact")
        #expect(try row.decode(String.self, "external_id") == wamid)
        let conversationID = try row.decode(UUID.self, "id")
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM reply_jobs WHERE conversation_id = $1 AND status = 'pending'",
                [conversationID]) == 1)
        let events = try await fixture.database.query(
            "SELECT event_type FROM outbox WHERE aggregate_id = $1 ORDER BY sequence", [conversationID])
        #expect(
            try events.map { try $0.decode(String.self, "event_type") } == ["conversation.created", "message.received"])
        let timeline = try await fixture.database.query(
            "SELECT event_type FROM conversation_events WHERE conversation_id = $1 ORDER BY seq", [conversationID])
        #expect(
            try timeline.map { try $0.decode(String.self, "event_type") } == [
                "conversation.created", "message.received",
            ])
    }

    @Test("the same message delivered again is stored once and answered as a duplicate")
    func duplicateStoredOnce() async throws {
        let fixture = try await IngestFixture.shared()
        let channel = try await fixture.whatsAppChannel(for: IngestFixture.newAdmin())
        let body = Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "once")
        let first = try await fixture.deliver(body, to: channel)
        let second = try await fixture.deliver(body, to: channel)
        #expect(first.messagesStored == 1 && second.messagesStored == 0 && second.duplicates == 1)
        let channelID = UUID(uuidString: channel.id)!
        #expect(
            try await fixture.count(
                """
                SELECT count(*)::bigint AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE c.channel_id = $1
                """, [channelID]) == 1)
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM outbox WHERE event_type = 'message.received' AND payload->>'channel_id' = $1",
                [channel.id]) == 1)
    }

    @Test("a known contact's messages land in its open conversation, which takes a name only when it has none")
    func knownContact() async throws {
        let fixture = try await IngestFixture.shared()
        let channel = try await fixture.whatsAppChannel(for: IngestFixture.newAdmin())
        let from = "55219\(Int.random(in: 10_000_000...99_999_999))"
        _ = try await fixture.deliver(
            Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", from: from, name: "Bia", text: "um"), to: channel)
        let channelID = UUID(uuidString: channel.id)!
        try await fixture.database.execute(
            "UPDATE conversations SET contact_name = NULL WHERE channel_id = $1", [channelID])
        for (name, text) in [("Bia Nova", "dois"), ("Outra", "três")] {
            let stored = try await fixture.deliver(
                Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", from: from, name: name, text: text),
                to: channel)
            #expect(stored.messagesStored == 1)
        }
        let row = try #require(
            try await fixture.database.query(
                "SELECT contact_name, message_count FROM conversations WHERE channel_id = $1", [channelID]
            ).firstRow)
        #expect(try row.decode(String?.self, "contact_name") == "Bia Nova")
        #expect(try row.decode(Int.self, "message_count") == 3)
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM conversations WHERE channel_id = $1", [channelID])
                == 1)
    }

    @Test("a known contact's message delivered twenty times at once is stored once, the receipt in its statement")
    func knownContactConcurrentRedelivery() async throws {
        let fixture = try await IngestFixture.shared()
        let channel = try await fixture.whatsAppChannel(for: IngestFixture.newAdmin())
        let from = "55319\(Int.random(in: 10_000_000...99_999_999))"
        _ = try await fixture.deliver(
            Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", from: from, text: "primeira"), to: channel)
        let body = Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", from: from, text: "de novo")
        let results = try await withThrowingTaskGroup(of: (Int32, Int32).self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let stored = try await fixture.deliver(body, to: channel)
                    return (stored.messagesStored, stored.duplicates)
                }
            }
            return try await group.reduce(into: [(Int32, Int32)]()) { $0.append($1) }
        }
        #expect(results.map(\.0).reduce(0, +) == 1)
        #expect(results.map(\.1).reduce(0, +) == 19)
        let channelID = UUID(uuidString: channel.id)!
        let conversation = try #require(
            try await fixture.database.query(
                "SELECT id, message_count FROM conversations WHERE channel_id = $1", [channelID]
            ).firstRow)
        #expect(try conversation.decode(Int.self, "message_count") == 2)
        let conversationID = try conversation.decode(UUID.self, "id")
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM outbox WHERE aggregate_id = $1 AND event_type = 'message.received'",
                [conversationID]) == 2)
        // The receipt points at the message stored.
        #expect(
            try await fixture.count(
                """
                SELECT count(*)::bigint AS n FROM inbound_receipts r JOIN messages m ON m.id = r.message_id
                WHERE r.channel_id = $1 AND m.content = 'de novo'
                """, [channelID]) == 1)
    }

    @Test("storeMessage with the receipt writes nothing and answers false when the receipt is taken")
    func storeMessageReceiptConflict() async throws {
        let fixture = try await IngestFixture.shared()
        let channel = try await fixture.whatsAppChannel(for: IngestFixture.newAdmin())
        let from = "55419\(Int.random(in: 10_000_000...99_999_999))"
        let wamid = "wamid.\(UUID().uuidString)"
        _ = try await fixture.deliver(Payloads.whatsAppText(id: wamid, from: from, text: "uma"), to: channel)
        let channelID = UUID(uuidString: channel.id)!
        let row = try #require(
            try await fixture.database.query(
                "SELECT id, organization_id FROM conversations WHERE channel_id = $1", [channelID]
            ).firstRow)
        let conversationID = try row.decode(UUID.self, "id")
        let organizationID = try row.decode(UUID.self, "organization_id")
        func written() async throws -> [Int] {
            [
                try await fixture.count(
                    "SELECT count(*)::bigint AS n FROM messages WHERE conversation_id = $1", [conversationID]),
                try await fixture.count(
                    "SELECT count(*)::bigint AS n FROM outbox WHERE aggregate_id = $1", [conversationID]),
                try await fixture.count(
                    "SELECT count(*)::bigint AS n FROM conversation_events WHERE conversation_id = $1",
                    [conversationID]),
                try await fixture.count(
                    "SELECT count(*)::bigint AS n FROM reply_jobs WHERE conversation_id = $1", [conversationID]),
                try await fixture.count(
                    "SELECT count(*)::bigint AS n FROM inbound_receipts WHERE channel_id = $1", [channelID]),
            ]
        }
        func message(_ externalID: String) -> InboundMessage {
            InboundMessage(
                externalID: externalID, contactIdentifier: from, contactName: nil, contactPhone: nil,
                contentType: "text", content: "again", mediaURL: nil, mediaMetadata: nil, externalMetadata: "{}",
                sentAt: nil)
        }
        let before = try await written()
        let taken = try await fixture.database.withConnection {
            try await IngestStore.storeMessage(
                id: UUID(), conversationID: conversationID, organizationID: organizationID, message: message(wamid),
                requestReply: true, event: PostgresJSON(text: "{}"), receipt: channelID, on: $0)
        }
        #expect(!taken)
        #expect(try await written() == before)
        let fresh = UUID()
        let stored = try await fixture.database.withConnection {
            try await IngestStore.storeMessage(
                id: fresh, conversationID: conversationID, organizationID: organizationID,
                message: message("wamid.\(UUID().uuidString)"), requestReply: true, event: PostgresJSON(text: "{}"),
                receipt: channelID, on: $0)
        }
        #expect(stored)
        let after = try await written()
        #expect(after[0] == before[0] + 1 && after[1] == before[1] + 1 && after[2] == before[2] + 1)
        #expect(after[4] == before[4] + 1)
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM inbound_receipts WHERE message_id = $1", [fresh]) == 1)
    }

    @Test("a missing or wrong signature is UNAUTHENTICATED and stores nothing", arguments: ["", "sha256=00", "wrong"])
    func badSignatureStoresNothing(signature: String) async throws {
        let fixture = try await IngestFixture.shared()
        let channel = try await fixture.whatsAppChannel(for: IngestFixture.newAdmin())
        let body = Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "forged")
        let forged = signature == "wrong" ? IngestFixture.signature(body, secret: "not-the-secret") : signature
        #expect(
            await fixture.failure { try await fixture.deliver(body, to: channel, signature: forged) }
                == .unauthenticated)
        let channelID = UUID(uuidString: channel.id)!
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM conversations WHERE channel_id = $1", [channelID])
                == 0)
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM inbound_receipts WHERE channel_id = $1", [channelID])
                == 0)
    }

    @Test("media, location, button replies and unknown types in several entries are each stored")
    func mixedPayload() async throws {
        let fixture = try await IngestFixture.shared()
        let channel = try await fixture.whatsAppChannel(for: IngestFixture.newAdmin())
        let prefix = "wamid.\(UUID().uuidString)"
        let stored = try await fixture.deliver(
            Payloads.whatsAppMixed(prefix: prefix, from: "5511987654321"), to: channel)
        #expect(stored.messagesStored == 6)
        let rows = try await fixture.database.query(
            """
            SELECT m.external_id, m.content_type, m.content, m.media_metadata::text AS media,
                   m.external_metadata::text AS external
            FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE c.channel_id = $1 ORDER BY m.external_id
            """, [UUID(uuidString: channel.id)!])
        var byID: [String: (type: String, content: String, media: String?, external: String?)] = [:]
        for row in rows {
            byID[try row.decode(String.self, "external_id")] = (
                try row.decode(String.self, "content_type"), try row.decode(String.self, "content"),
                try row.decode(String?.self, "media"), try row.decode(String?.self, "external")
            )
        }
        #expect(byID["\(prefix).img"]?.type == "image" && byID["\(prefix).img"]?.content == "my receipt")
        #expect(byID["\(prefix).img"]?.media?.contains("1479537139650973") == true)
        #expect(
            byID["\(prefix).aud"]?.type == "audio" && byID["\(prefix).aud"]?.media?.contains("\"voice\": true") == true)
        #expect(
            byID["\(prefix).doc"]?.type == "document" && byID["\(prefix).doc"]?.media?.contains("invoice.pdf") == true)
        #expect(byID["\(prefix).loc"]?.type == "location" && byID["\(prefix).loc"]?.content == "Loja Centro, Rua A, 1")
        #expect(byID["\(prefix).btn"]?.type == "interactive" && byID["\(prefix).btn"]?.content == "Yes, book it")
        #expect(byID["\(prefix).odd"]?.type == "unsupported")
        #expect(byID["\(prefix).odd"]?.external?.contains("holo_call") == true)
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM conversations WHERE channel_id = $1", [UUID(uuidString: channel.id)!]
            )
                == 1)
    }

    @Test("statuses move our message forward only, out of order included, and a failure keeps the provider's error")
    func statusesAreMonotonic() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: admin)
        _ = try await fixture.deliver(Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "hi"), to: channel)
        let conversationID = try await fixture.database.query(
            "SELECT id FROM conversations WHERE channel_id = $1", [UUID(uuidString: channel.id)!]
        ).firstRow!.decode(UUID.self, "id")
        let sent = "wamid.out.\(UUID().uuidString)", failed = "wamid.out.\(UUID().uuidString)"
        for external in [sent, failed] {
            try await fixture.database.execute(
                """
                INSERT INTO messages (conversation_id, sender_type, content, direction, status, external_id)
                VALUES ($1, 'ai', 'reply', 'outbound', 'sent', $2)
                """, [conversationID, external])
        }
        let read = try await fixture.deliver(
            Payloads.whatsAppStatus(id: sent, status: "read", timestamp: 1_750_857_400), to: channel)
        let late = try await fixture.deliver(
            Payloads.whatsAppStatus(id: sent, status: "delivered", timestamp: 1_750_857_390), to: channel)
        #expect(read.statusesApplied == 1 && late.statusesApplied == 0)
        let row = try await fixture.database.query(
            """
            SELECT status, delivered_at IS NOT NULL AS delivered, extract(epoch FROM read_at)::bigint AS read_at
            FROM messages WHERE external_id = $1
            """, [sent]
        ).firstRow!
        #expect(try row.decode(String.self, "status") == "read")
        #expect(try row.decode(Bool.self, "delivered"))
        #expect(try row.decode(Int64.self, "read_at") == 1_750_857_400)

        let failure = try await fixture.deliver(Payloads.whatsAppFailed(id: failed), to: channel)
        #expect(failure.statusesApplied == 1)
        let failedRow = try await fixture.database.query(
            "SELECT status, external_metadata::text AS meta FROM messages WHERE external_id = $1", [failed]
        ).firstRow!
        #expect(try failedRow.decode(String.self, "status") == "failed")
        #expect(try failedRow.decode(String.self, "meta").contains("131047"))
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM outbox WHERE aggregate_id = $1 AND event_type IN ('message.read', 'message.failed')",
                [conversationID]) == 2)
        let unknown = try await fixture.deliver(
            Payloads.whatsAppStatus(id: "wamid.nobody", status: "read", timestamp: 1), to: channel)
        #expect(unknown.statusesApplied == 0)
    }

    @Test("Instagram: text and image stored, the business's own echo skipped")
    func instagram() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.call(
            Conversations.Service.createChannel,
            Conversations.CreateChannelRequest(
                type: "instagram", name: "IG", agentId: UUID().lowercased, instagramAccountId: "17841400000000000",
                config: Conversations.ChannelSecrets(accessToken: "IGQ", appSecret: "ig-secret", verifyToken: "v")),
            as: admin)
        let prefix = "mid.\(UUID().uuidString)"
        let stored = try await fixture.deliver(
            Payloads.instagram(prefix: prefix, sender: "998877"), to: channel, secret: "ig-secret")
        #expect(stored.messagesStored == 2 && stored.ignored == 1)
        let types = try await fixture.database.query(
            """
            SELECT m.content_type, m.media_url FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE c.channel_id = $1 ORDER BY m.external_id DESC
            """, [UUID(uuidString: channel.id)!])
        #expect(try types.map { try $0.decode(String.self, "content_type") } == ["text", "image"])
        #expect(try types[1].decode(String?.self, "media_url") == "https://cdn.example/p.jpg")
    }

    @Test("Instagram: a missing or wrong signature is UNAUTHENTICATED and stores nothing", arguments: ["", "wrong"])
    func instagramBadSignature(signature: String) async throws {
        let fixture = try await IngestFixture.shared()
        let channel = try await fixture.instagramChannel(for: IngestFixture.newAdmin())
        let body = Payloads.instagram(prefix: "mid.\(UUID().uuidString)", sender: "998877")
        // Signed with the WhatsApp channels' secret: a real signature, with the wrong key.
        let forged = signature == "wrong" ? IngestFixture.signature(body, secret: "app-secret") : signature
        #expect(
            await fixture.failure { try await fixture.deliver(body, to: channel, signature: forged) }
                == .unauthenticated)
        let channelID = UUID(uuidString: channel.id)!
        for table in ["conversations", "inbound_receipts"] {
            #expect(
                try await fixture.count(
                    PostgresQuery(unsafeSQL: "SELECT count(*)::bigint AS n FROM \(table) WHERE channel_id = $1"),
                    [channelID]) == 0)
        }
        // The same body signed with the channel's own secret goes in.
        #expect(try await fixture.deliver(body, to: channel, secret: "ig-secret").messagesStored == 2)
    }

    @Test("Instagram: a read receipt reads our message by mid, never backwards; reactions and edits are stored")
    func instagramReadsAndOtherEvents() async throws {
        let fixture = try await IngestFixture.shared()
        let channel = try await fixture.instagramChannel(for: IngestFixture.newAdmin())
        let sender = "99\(Int.random(in: 100_000...999_999))"
        func deliver(_ event: String, at timestamp: Int64) async throws -> Conversations.IngestWebhookResponse {
            try await fixture.deliver(
                Payloads.instagramEvent(event, sender: sender, timestamp: timestamp), to: channel, secret: "ig-secret")
        }
        _ = try await deliver(#""message":{"mid":"mid.in.\#(UUID().uuidString)","text":"oi"}"#, at: 1_750_857_000_000)
        let conversationID = try await fixture.database.query(
            "SELECT id FROM conversations WHERE channel_id = $1", [UUID(uuidString: channel.id)!]
        ).firstRow!.decode(UUID.self, "id")
        let sent = "mid.out.\(UUID().uuidString)", failed = "mid.out.\(UUID().uuidString)"
        for (external, status) in [(sent, "sent"), (failed, "failed")] {
            try await fixture.database.execute(
                """
                INSERT INTO messages (conversation_id, sender_type, content, direction, status, external_id)
                VALUES ($1, 'ai', 'reply', 'outbound', $3, $2)
                """, [conversationID, external, status])
        }
        let read = try await deliver(#""read":{"mid":"\#(sent)"}"#, at: 1_750_857_400_123)
        let again = try await deliver(#""read":{"mid":"\#(sent)"}"#, at: 1_750_857_400_123)
        let onFailed = try await deliver(#""read":{"mid":"\#(failed)"}"#, at: 1_750_857_400_200)
        #expect(read.statusesApplied == 1 && read.messagesStored == 0)
        #expect(again.statusesApplied == 0 && onFailed.statusesApplied == 0)
        let row = try #require(
            try await fixture.database.query(
                """
                SELECT status, delivered_at IS NOT NULL AS delivered, (extract(epoch FROM read_at) * 1000)::bigint AS read_ms
                FROM messages WHERE external_id = $1
                """, [sent]
            ).firstRow)
        #expect(try row.decode(String.self, "status") == "read")
        #expect(try row.decode(Bool.self, "delivered"))
        #expect(try row.decode(Int64.self, "read_ms") == 1_750_857_400_123)
        #expect(
            try await fixture.database.query("SELECT status FROM messages WHERE external_id = $1", [failed])
                .firstRow!.decode(String.self, "status") == "failed")
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM outbox WHERE aggregate_id = $1 AND event_type = 'message.read'",
                [conversationID]) == 1)

        let reaction = #""reaction":{"mid":"\#(sent)","action":"react","reaction":"love","emoji":"❤️"}"#
        let edit = #""message_edit":{"mid":"mid.in.x","text":"oi, tudo bem?","num_edit":1}"#
        #expect(try await deliver(reaction, at: 1_750_857_500_000).messagesStored == 1)
        #expect(try await deliver(reaction, at: 1_750_857_500_000).duplicates == 1)
        #expect(try await deliver(edit, at: 1_750_857_600_000).messagesStored == 1)
        let stored = try await fixture.database.query(
            """
            SELECT content_type, content, media_metadata->>'mid' AS reacted, external_metadata->'raw'->'message_edit' IS NOT NULL AS raw
            FROM messages WHERE conversation_id = $1 AND direction = 'inbound' AND content_type <> 'text'
            ORDER BY created_at
            """, [conversationID])
        #expect(try stored.map { try $0.decode(String.self, "content_type") } == ["reaction", "unsupported"])
        #expect(try stored[0].decode(String.self, "content") == "❤️")
        #expect(try stored[0].decode(String?.self, "reacted") == sent)
        #expect(try stored[1].decode(Bool?.self, "raw") == true)
    }

    @Test("Telegram: the secret token header is checked in constant time; update_id deduplicates")
    func telegram() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.call(
            Conversations.Service.createChannel,
            Conversations.CreateChannelRequest(
                type: "telegram", name: "Bot", agentId: UUID().lowercased,
                config: Conversations.ChannelSecrets(botToken: "123:ABC", secretToken: "tg_secret-1")), as: admin)
        let body = Payloads.telegram(updateID: 900_001, chatID: 7_000_000_000_123, text: "oi")
        #expect(
            await fixture.failure { try await fixture.deliver(body, to: channel, secretToken: "tg_secret-2") }
                == .unauthenticated)
        #expect(await fixture.failure { try await fixture.deliver(body, to: channel) } == .unauthenticated)
        let first = try await fixture.deliver(body, to: channel, secretToken: "tg_secret-1")
        let again = try await fixture.deliver(body, to: channel, secretToken: "tg_secret-1")
        #expect(first.messagesStored == 1 && again.duplicates == 1)
        let contact = try await fixture.database.query(
            "SELECT contact_identifier, contact_name FROM conversations WHERE channel_id = $1",
            [UUID(uuidString: channel.id)!]
        ).firstRow!
        #expect(try contact.decode(String.self, "contact_identifier") == "7000000000123")
        #expect(try contact.decode(String.self, "contact_name") == "Ana B")
    }

    @Test("fifty concurrent first messages from one new contact open one conversation")
    func fiftyConcurrentFirstMessages() async throws {
        let fixture = try await IngestFixture.shared()
        let channel = try await fixture.whatsAppChannel(for: IngestFixture.newAdmin())
        let from = "55119\(Int.random(in: 10_000_000...99_999_999))"
        let results = try await withThrowingTaskGroup(of: Int32.self) { group in
            for index in 0..<50 {
                group.addTask {
                    try await fixture.deliver(
                        Payloads.whatsAppText(id: "wamid.c\(index).\(from)", from: from, text: "msg \(index)"),
                        to: channel
                    ).messagesStored
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(results == 50)
        let channelID = UUID(uuidString: channel.id)!
        let conversations = try await fixture.database.query(
            "SELECT id, message_count FROM conversations WHERE channel_id = $1", [channelID])
        #expect(conversations.count == 1)
        #expect(try conversations.firstRow?.decode(Int.self, "message_count") == 50)
        #expect(
            try await fixture.count(
                "SELECT count(*)::bigint AS n FROM reply_jobs WHERE conversation_id = $1 AND status = 'pending'",
                [try conversations.firstRow!.decode(UUID.self, "id")]) == 1)
    }

    @Test("a conversation over max_conversations_per_month is stored, flagged and gets no reply job")
    func planLimit() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        fixture.identity.limits.withLock { $0[admin.organizationId] = 1 }
        let channel = try await fixture.whatsAppChannel(for: admin)
        _ = try await fixture.deliver(
            Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", from: "111", text: "first"), to: channel)
        let over = try await fixture.deliver(
            Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", from: "222", text: "second"), to: channel)
        #expect(over.messagesStored == 1)
        let rows = try await fixture.database.query(
            """
            SELECT c.contact_identifier, c.over_plan_limit, c.context->'plan_limit' IS NOT NULL AS explained,
                   (SELECT count(*) FROM reply_jobs j WHERE j.conversation_id = c.id)::bigint AS jobs
            FROM conversations c WHERE c.channel_id = $1 ORDER BY c.contact_identifier
            """, [UUID(uuidString: channel.id)!])
        #expect(try rows.map { try $0.decode(Bool.self, "over_plan_limit") } == [false, true])
        #expect(try rows.map { try $0.decode(Int64.self, "jobs") } == [1, 0])
        #expect(try rows[1].decode(Bool.self, "explained"))
    }

    @Test("Meta's verification handshake answers the challenge only for the right token and mode")
    func verifyHandshake() async throws {
        let fixture = try await IngestFixture.shared()
        let channel = try await fixture.whatsAppChannel(for: IngestFixture.newAdmin(), verifyToken: "tok-123")
        let ok = try await fixture.call(
            Conversations.Service.verifyWebhook,
            Conversations.VerifyWebhookRequest(
                channelType: "whatsapp", channelId: channel.id, mode: "subscribe", verifyToken: "tok-123",
                challenge: "1158201444"))
        #expect(ok.challenge == "1158201444")
        for (mode, token) in [("subscribe", "tok-124"), ("unsubscribe", "tok-123"), ("subscribe", "")] {
            #expect(
                await fixture.failure {
                    try await fixture.call(
                        Conversations.Service.verifyWebhook,
                        Conversations.VerifyWebhookRequest(
                            channelType: "whatsapp", channelId: channel.id, mode: mode, verifyToken: token,
                            challenge: "x"))
                } == .permissionDenied)
        }
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.verifyWebhook,
                    Conversations.VerifyWebhookRequest(
                        channelType: "instagram", channelId: channel.id, mode: "subscribe", verifyToken: "tok-123"))
            } == .notFound)
    }

    @Test(
        "odd bodies never fail: they are answered with nothing stored",
        arguments: [
            "", "null", "[]", "{\"entry\":{}}", "{\"entry\":[1,\"x\",{\"changes\":[{\"value\":[]}]}]}",
            "{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"id\":5}]}}]}]}", "\u{0}\u{1}garbage",
        ])
    func oddBodies(body: String) async throws {
        let fixture = try await IngestFixture.shared()
        let channel = try await fixture.whatsAppChannel(for: IngestFixture.newAdmin())
        let answer = try await fixture.deliver(body, to: channel)
        #expect(answer.messagesStored == 0 && answer.statusesApplied == 0)
    }

    @Test("a callback naming another WhatsApp number of the organization is stored on that number's channel")
    func routesByBusinessNumber() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let receiving = try await fixture.whatsAppChannel(for: admin, phoneNumberID: "1111")
        let other = try await fixture.whatsAppChannel(for: admin, phoneNumberID: "2222")
        let stranger = try await fixture.whatsAppChannel(for: IngestFixture.newAdmin(), phoneNumberID: "3333")
        _ = try await fixture.deliver(
            Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "to 2222", phoneNumberID: "2222"),
            to: receiving)
        _ = try await fixture.deliver(
            Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "to 3333", phoneNumberID: "3333"),
            to: receiving)
        func contents(_ channel: Conversations.Channel) async throws -> [String] {
            try await fixture.database.query(
                """
                SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE c.channel_id = $1 ORDER BY m.content
                """, [UUID(uuidString: channel.id)!]
            ).map { try $0.decode(String.self, "content") }
        }
        #expect(try await contents(other) == ["to 2222"])
        // Another organization's number is never reached: kept on the receiving channel.
        #expect(try await contents(receiving) == ["to 3333"])
        #expect(try await contents(stranger).isEmpty)
    }

    @Test("a U+0000 in a provider's payload is dropped from the text, not the reason the callback fails")
    func nulCharactersRemoved() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: admin)
        let wamid = "wamid.\(UUID().uuidString)"
        let body = Payloads.whatsAppText(id: wamid, name: #"Ana\u0000 Lima"#, text: #"olá\u0000 mundo"#)
        let stored = try await fixture.deliver(body, to: channel)
        #expect(stored.messagesStored == 1)
        let row = try #require(
            try await fixture.database.query(
                """
                SELECT m.content, c.contact_name FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.external_id = $1
                """, [wamid]
            ).firstRow)
        #expect(try row.decode(String.self, "content") == "olá mundo")
        #expect(try row.decode(String.self, "contact_name") == "Ana Lima")
    }
}
