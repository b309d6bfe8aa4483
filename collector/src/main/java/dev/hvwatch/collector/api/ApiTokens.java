package dev.hvwatch.collector.api;

import dev.hvwatch.collector.tls.FileStamp;
import dev.hvwatch.protocol.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer tokens of {@code api.tokens}: one {@code NAME TOKEN} per line, {@code #} comments. Only SHA-256 digests
 * of the tokens are kept, and a presented token is compared with every one of them in constant time
 * ({@link MessageDigest#isEqual}), so that neither the time taken nor an early exit tells how close a guess came or
 * which token it matched. Tokens never appear in messages or logs; the names do.
 */
final class ApiTokens {
    static final int MIN_TOKEN_LENGTH = 32;
    private static final Logger log = LoggerFactory.getLogger(ApiTokens.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]*");
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]+");

    private final Path file;
    private final AtomicLong reloads = new AtomicLong();
    private volatile Loaded loaded;
    /** The stamp of the last file refused, so that it is not read again until it changes. */
    private Object refused;

    private ApiTokens(Path file, Loaded loaded) {
        this.file = file;
        this.loaded = loaded;
    }

    /** No tokens at all: every bearer token is refused. */
    static ApiTokens none() {
        return new ApiTokens(null, new Loaded(List.of(), null));
    }

    static ApiTokens load(Path file) throws ConfigException {
        return new ApiTokens(file, Loaded.from(file));
    }

    /** The name of the token's holder, or null when no token matches. */
    String holder(String presented) {
        byte[] digest = sha256(presented);
        String holder = null;
        for (Token token : loaded.tokens) {
            // No early exit: every presented token costs the same comparisons.
            if (MessageDigest.isEqual(digest, token.digest) && holder == null) {
                holder = token.name;
            }
        }
        return holder;
    }

    int size() {
        return loaded.tokens.size();
    }

    /**
     * Reads the file again if it changed. A file that no longer reads is refused and the tokens in force stay; it is
     * tried again once it changes (a {@code chmod} included), not at every check: one error per change.
     *
     * @return whether changed tokens were loaded
     * @throws ConfigException when the changed file is refused
     */
    boolean reloadIfChanged() throws ConfigException {
        if (file == null) {
            return false;
        }
        Object stamp = FileStamp.of(file);
        if (Objects.equals(stamp, loaded.stamp) || Objects.equals(stamp, refused)) {
            return false;
        }
        try {
            loaded = Loaded.from(file);
        } catch (ConfigException e) {
            refused = stamp;
            throw e;
        }
        refused = null;
        reloads.incrementAndGet();
        log.info("API tokens reloaded from {}: {} tokens", file, loaded.tokens.size());
        return true;
    }

    long reloads() {
        return reloads.get();
    }

    private record Token(String name, byte[] digest) {
    }

    private record Loaded(List<Token> tokens, Object stamp) {
        static Loaded from(Path file) throws ConfigException {
            // Stamped before reading: a file that changes while being read is read again at the next check.
            Object stamp = FileStamp.of(file);
            List<String> lines;
            try {
                if (Files.getPosixFilePermissions(file).contains(PosixFilePermission.OTHERS_READ)) {
                    throw new ConfigException(file + ": readable by other users; chmod o-rw it");
                }
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ConfigException(file + ": cannot read the API tokens: " + e.getMessage(), e);
            }
            List<Token> tokens = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String where = file + " line " + (i + 1) + ": ";
                String[] fields = line.split("\\s+");
                if (fields.length != 2) {
                    throw new ConfigException(where + "write NAME TOKEN, two fields separated by a space");
                }
                if (!NAME.matcher(fields[0]).matches()) {
                    throw new ConfigException(where + "the name must match " + NAME.pattern());
                }
                if (fields[1].length() < MIN_TOKEN_LENGTH || !TOKEN.matcher(fields[1]).matches()) {
                    throw new ConfigException(where + "the token of " + fields[0] + " must be at least "
                            + MIN_TOKEN_LENGTH + " printable ASCII characters, e.g. from 'openssl rand -hex 32'");
                }
                byte[] digest = sha256(fields[1]);
                for (Token other : tokens) {
                    if (MessageDigest.isEqual(digest, other.digest)) {
                        throw new ConfigException(where + "the token of " + fields[0] + " is also the token of "
                                + other.name + "; give each holder its own");
                    }
                }
                if (names.contains(fields[0])) {
                    throw new ConfigException(where + "the name " + fields[0] + " is given twice");
                }
                names.add(fields[0]);
                tokens.add(new Token(fields[0], digest));
            }
            return new Loaded(List.copyOf(tokens), stamp);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
