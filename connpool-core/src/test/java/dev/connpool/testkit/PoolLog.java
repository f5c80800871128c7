package dev.connpool.testkit;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Captures what the pool logs during each test: records are read from {@code java.util.logging}
 * under {@code dev.connpool}, where the pool's {@link System.Logger} lands with no other logging
 * provider on the class path. Register it on a test class:
 * {@code @RegisterExtension final PoolLog log = new PoolLog();} it captures every level from before
 * each test to after it, then restores the logger's level.
 */
public final class PoolLog implements BeforeEachCallback, AfterEachCallback {

    private final Logger logger = Logger.getLogger("dev.connpool");
    private Level levelBefore;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @Override
    public void beforeEach(ExtensionContext context) {
        records.clear();
        levelBefore = logger.getLevel();
        logger.setLevel(Level.ALL);
        handler.setLevel(Level.ALL);
        logger.addHandler(handler);
    }

    /** Everything captured so far. */
    public List<LogRecord> records() {
        return records;
    }

    /** The records at a level whose message contains the text. */
    public List<LogRecord> at(Level level, String text) {
        return records.stream().filter(r -> r.getLevel().equals(level) && r.getMessage() != null
                && r.getMessage().contains(text)).collect(Collectors.toList());
    }

    /** The messages captured, for assertion messages. */
    public String messages() {
        return records.stream().map(r -> r.getLevel() + " " + r.getMessage()).collect(Collectors.joining("\n"));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        logger.removeHandler(handler);
        logger.setLevel(levelBefore);
    }
}
