package portico

var (
	config       []byte
	configLoaded bool
)

// Config returns the binding's configuration (get_config): the plugin binding's `config` object as JSON bytes
// (empty when the binding has none). It is read once per instance and cached; do not modify the returned slice.
func Config() []byte {
	if hostChanged() || !configLoaded {
		config = probeCopy(getConfig)
		configLoaded = true
	}
	return config
}

// EnableFeatures enables features and returns every feature now enabled (enable_features). Called from Init or
// init, it applies to every request of the instance; called while handling a request, to that request only.
// Features the host does not support are missing from the result.
func EnableFeatures(f Features) Features { return Features(enableFeatures(uint32(f))) }

// Log writes msg to the gateway log at level, with the request ID and the plugin's name (log).
func Log(level LogLevel, msg string) { logMessage(int32(level), msg) }

// LogEnabled reports whether messages at level are logged (log_enabled); check it before building an expensive
// message.
func LogEnabled(level LogLevel) bool { return logEnabled(int32(level)) != 0 }
