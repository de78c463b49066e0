import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Calls an OpenAI-compatible `POST {base}/chat/completions`: a timeout per request, retries
/// with backoff on 408/409/429/5xx, timeouts and connection errors (honouring `retry-after-ms`,
/// then `retry-after` in seconds or as an HTTP date, and `x-should-retry`), and at most
/// `concurrencyPerOrganization` requests in flight per organization.
///
/// The key goes only into the `Authorization` header; no log line, error or metadata this
/// type produces contains it or the provider's error message (which may echo part of it).
struct ProviderClient: Sendable {
    let http: HTTPClient
    let settings: ProviderSettings
    let limiter: OrganizationConcurrencyLimiter
    let logger: Logger
    /// Counts each request, its time and the tokens billed, when given.
    var metrics: ProviderMetrics? = nil
    /// The largest response body read.
    static let maximumBody = 4 * 1024 * 1024

    /// One round: the completion, and how many tries it took.
    func complete(
        baseURL: String, key: String, body: JSONValue, organizationID: UUID, deadline: ContinuousClock.Instant?
    ) async throws(ProviderError) -> (completion: ChatCompletion, attempts: Int) {
        let url = (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/chat/completions"
        let payload = ByteBuffer(string: body.text)
        var attempt = 0
        while true {
            attempt += 1
            let outcome: Outcome
            do {
                outcome = try await limiter.withSlot(organizationID: organizationID) {
                    let started = ContinuousClock.now
                    let outcome = await send(url: url, key: key, payload: payload, deadline: deadline)
                    record(outcome, duration: ContinuousClock.now - started)
                    return outcome
                }
            } catch {
                throw ProviderError(
                    kind: .timeout, message: "cancelled while waiting for the provider", attempts: attempt)
            }
            switch outcome {
            case .success(let completion):
                return (completion, attempt)
            case .failure(let error):
                throw ProviderError(kind: error.kind, message: error.message, attempts: attempt)
            case .retryable(let error, let retryAfter):
                guard attempt < settings.maxAttempts else {
                    throw ProviderError(
                        kind: error.kind, message: "\(error.message) after \(attempt) attempts", attempts: attempt)
                }
                let wait = retryAfter ?? backoff(attempt: attempt)
                guard wait <= settings.maxBackoff else {
                    throw ProviderError(
                        kind: error.kind,
                        message:
                            "\(error.message); the provider asks to wait \(wait.formatted(.units(allowed: [.seconds])))",
                        attempts: attempt)
                }
                if let deadline, ContinuousClock.now + wait + .milliseconds(100) >= deadline {
                    throw ProviderError(
                        kind: error.kind, message: "\(error.message); no time left to retry", attempts: attempt)
                }
                logger.info(
                    "provider round retried",
                    metadata: [
                        "provider.error": "\(error.kind.rawValue)", "provider.attempt": "\(attempt)",
                        "provider.wait_ms": "\(wait.milliseconds)",
                    ])
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    throw ProviderError(kind: .timeout, message: "cancelled while retrying", attempts: attempt)
                }
            }
        }
    }

    /// Counts one request in ``metrics``.
    private func record(_ outcome: Outcome, duration: Duration) {
        guard let metrics else { return }
        switch outcome {
        case .success(let completion):
            metrics.request(outcome: "ok", duration: duration)
            metrics.tokens(prompt: completion.promptTokens, completion: completion.completionTokens)
        case .failure(let error), .retryable(let error, _):
            metrics.request(outcome: error.kind.rawValue, duration: duration)
        }
    }

    private enum Outcome: Sendable {
        case success(ChatCompletion)
        case failure(ProviderError)
        case retryable(ProviderError, retryAfter: Duration?)
    }

    private func send(
        url: String, key: String, payload: ByteBuffer, deadline: ContinuousClock.Instant?
    ) async
        -> Outcome
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(payload)
        var timeout = settings.timeout
        if let deadline {
            let left = ContinuousClock.now.duration(to: deadline) - .milliseconds(50)
            guard left > .zero else {
                return .failure(ProviderError(kind: .timeout, message: "no time left", attempts: 0))
            }
            timeout = min(timeout, left)
        }
        do {
            let response = try await http.execute(request, timeout: .milliseconds(timeout.milliseconds))
            let body = try await response.body.collect(upTo: Self.maximumBody)
            let status = Int(response.status.code)
            let json = JSONValue(text: String(buffer: body))
            if (200..<300).contains(status) {
                guard let json, let completion = ChatCompletion(body: json) else {
                    return .failure(
                        ProviderError(
                            kind: .malformedResponse,
                            message: "HTTP \(status) with a body that is not a chat completion",
                            attempts: 0))
                }
                return .success(completion)
            }
            let code = json?["error"]?["code"]?.stringValue ?? json?["error"]?["type"]?.stringValue
            let label = "HTTP \(status)" + (code.map { " (\(Self.safeCode($0)))" } ?? "")
            let shouldRetry = response.headers.first(name: "x-should-retry")
            if status == 429 && code == "insufficient_quota" {
                return .failure(ProviderError(kind: .quotaExceeded, message: label, attempts: 0))
            }
            let retryable =
                shouldRetry == "true" || (shouldRetry != "false" && [408, 409, 429].contains(status))
                || (shouldRetry != "false" && status >= 500)
            let kind: ProviderError.Kind = status == 429 ? .rateLimited : status >= 500 ? .unavailable : .rejected
            let error = ProviderError(kind: kind, message: label, attempts: 0)
            return retryable ? .retryable(error, retryAfter: Self.retryAfter(response.headers)) : .failure(error)
        } catch let error as HTTPClientError
            where [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error)
        {
            return .retryable(
                ProviderError(kind: .timeout, message: "no answer within \(timeout.milliseconds) ms", attempts: 0),
                retryAfter: nil)
        } catch let error as NIOTooManyBytesError {
            _ = error
            return .failure(ProviderError(kind: .malformedResponse, message: "the response is too large", attempts: 0))
        } catch {
            return .retryable(
                ProviderError(
                    kind: .unreachable, message: "cannot reach the provider (\(type(of: error)))", attempts: 0),
                retryAfter: nil)
        }
    }

    /// `retry-after-ms`, else `retry-after` (seconds or an HTTP date).
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        if let text = headers.first(name: "retry-after-ms"), let ms = Double(text), ms >= 0 {
            return .milliseconds(Int64(ms))
        }
        guard let text = headers.first(name: "retry-after") else { return nil }
        if let seconds = Double(text), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSinceNow) * 1000))
    }

    /// Exponential backoff from `settings.backoff`, with up to 25 % jitter.
    func backoff(attempt: Int) -> Duration {
        let base = settings.backoff * (1 << min(attempt - 1, 10))
        let capped = min(base, settings.maxBackoff)
        return capped + capped * Double.random(in: 0...0.25)
    }

    /// An error code as the provider wrote it, kept only when it looks like one.
    static func safeCode(_ code: String) -> String {
        let allowed = code.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "."
        }
        return allowed && code.count <= 64 ? code : "error"
    }
}

extension Duration {
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
