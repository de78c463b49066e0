/// How to reach a PostgreSQL server and how to size the connection pool.
///
/// Built in `main` from the service's configuration and handed to ``PostgresClient``.
/// Every field has a documented default so `PostgresConfiguration(database:user:)` is enough
/// for a local server listening on the default Unix socket.
public struct PostgresConfiguration: Sendable, Hashable {
    /// Where the server listens.
    public enum Endpoint: Sendable, Hashable {
        /// A Unix-domain socket in `directory` (the file is `<directory>/.s.PGSQL.<port>`).
        case unixSocket(directory: String)
        /// A TCP host name or address.
        case tcp(host: String)
    }

    /// Where the server listens. Default: the Unix socket in `/var/run/postgresql`.
    public var endpoint: Endpoint
    /// The server's port; for a Unix socket it names the socket file. Default: 5432.
    public var port: Int
    /// The database to connect to.
    public var database: String
    /// The login role.
    public var user: String
    /// The role's password, or `nil` for peer/trust authentication. Default: `nil`.
    public var password: String?
    /// The most connections the pool opens at once. Default: 4.
    public var poolSize: Int
    /// How long one connection attempt may take. libpq rounds it up to whole seconds,
    /// with a minimum of 2 seconds. Default: 5 seconds.
    public var connectTimeout: Duration
    /// The first delay between reconnection attempts while the server is unreachable;
    /// it doubles after each failure up to ``maximumReconnectDelay``. Default: 100 ms.
    public var initialReconnectDelay: Duration
    /// The longest delay between reconnection attempts. Default: 5 seconds.
    public var maximumReconnectDelay: Duration
    /// How often ``PostgresClient/run()`` checks that the server still answers while it is
    /// reachable. Default: 5 seconds.
    public var healthCheckInterval: Duration
    /// The `application_name` reported to the server (visible in `pg_stat_activity`).
    /// Default: `smarterchat`.
    public var applicationName: String

    /// Creates a configuration; see each property for its default.
    public init(
        endpoint: Endpoint = .unixSocket(directory: "/var/run/postgresql"),
        port: Int = 5432,
        database: String,
        user: String,
        password: String? = nil,
        poolSize: Int = 4,
        connectTimeout: Duration = .seconds(5),
        initialReconnectDelay: Duration = .milliseconds(100),
        maximumReconnectDelay: Duration = .seconds(5),
        healthCheckInterval: Duration = .seconds(5),
        applicationName: String = "smarterchat"
    ) {
        self.endpoint = endpoint
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.poolSize = max(1, poolSize)
        self.connectTimeout = connectTimeout
        self.initialReconnectDelay = initialReconnectDelay
        self.maximumReconnectDelay = maximumReconnectDelay
        self.healthCheckInterval = healthCheckInterval
        self.applicationName = applicationName
    }

    /// libpq connection keywords and values, passed to `PQconnectdbParams` so no value is
    /// ever quoted into a connection string.
    var connectionParameters: [(String, String)] {
        var parameters: [(String, String)] = []
        switch endpoint {
        case .unixSocket(let directory): parameters.append(("host", directory))
        case .tcp(let host): parameters.append(("host", host))
        }
        parameters.append(("port", String(port)))
        parameters.append(("dbname", database))
        parameters.append(("user", user))
        if let password { parameters.append(("password", password)) }
        let seconds = max(
            2, Int((connectTimeout.components.seconds)) + (connectTimeout.components.attoseconds > 0 ? 1 : 0))
        parameters.append(("connect_timeout", String(seconds)))
        parameters.append(("application_name", applicationName))
        // Row decoding relies on ISO dates in UTC and round-trippable floats.
        parameters.append(("options", "-c DateStyle=ISO -c TimeZone=UTC -c extra_float_digits=3"))
        parameters.append(("client_encoding", "UTF8"))
        return parameters
    }
}

extension PostgresConfiguration: CustomStringConvertible {
    /// A description without the password.
    public var description: String {
        let place: String
        switch endpoint {
        case .unixSocket(let directory): place = "unix:\(directory)"
        case .tcp(let host): place = host
        }
        return "postgres://\(user)@\(place):\(port)/\(database) (pool \(poolSize))"
    }
}
