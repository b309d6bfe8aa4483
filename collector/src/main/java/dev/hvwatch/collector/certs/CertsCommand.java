package dev.hvwatch.collector.certs;

import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code hvwatch-collector certs}: the operator's certificate authority. All files are PEM in one directory; keys
 * are written readable by their owner only. Copy {@code NAME.pem}, {@code NAME-key.pem} and {@code ca.pem} to the
 * host that is NAME; keep {@code ca-key.pem} on the machine that issues.
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = "Create a CA, issue agent and collector certificates, revoke them.",
        subcommands = {CertsCommand.Ca.class, CertsCommand.IssueAgent.class, CertsCommand.IssueCollector.class,
            CertsCommand.Revoke.class})
public final class CertsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(),
                "a subcommand is required: ca, issue-agent, issue-collector or revoke");
    }

    /** The directory option every subcommand takes. */
    static final class Dir {
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "where the CA's files are")
        Path dir;
    }

    abstract static class Step implements Callable<Integer> {
        @Mixin
        Dir where;

        @Spec
        CommandSpec spec;

        void say(String line) {
            spec.commandLine().getOut().println(line);
        }
    }

    @Command(name = "ca", mixinStandardHelpOptions = true,
            description = "Create a new CA in DIR: ca.pem, ca-key.pem and an empty revocation list crl.pem.")
    static final class Ca extends Step {
        @Option(names = "--name", defaultValue = "hvwatch CA", description = "the CA's common name (default: ${DEFAULT-VALUE})")
        String name;

        @Override
        public Integer call() throws Exception {
            if (where.dir.resolve("ca-key.pem").toFile().exists()) {
                throw new IllegalStateException(where.dir.resolve("ca-key.pem") + " exists: refusing to replace a CA"
                        + " whose certificates may be in use");
            }
            Pki pki = Pki.createCa(where.dir, name);
            say("created CA '" + name + "': " + pki.caCert() + ", revocation list " + pki.crl());
            return 0;
        }
    }

    /**
     * The {@code --owner} option of the commands that issue a key: the service that uses the key runs as its own
     * user, so the key is handed to that user as it is written rather than by a {@code chown} the operator must
     * remember. It stays readable by its owner only.
     */
    static final class KeyOwner {
        @Option(names = "--owner", paramLabel = "USER", description = "give the new key to USER (mode 0600), e.g. "
                + "hvwatch-agent or hvwatch-collector where that service runs on this host; needs root")
        String user;

        /** Looks the user up before anything is issued, so that a typo costs no certificate. */
        UserPrincipal principal(CommandSpec spec) throws IOException {
            if (user == null) {
                return null;
            }
            try {
                return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(user);
            } catch (UserPrincipalNotFoundException e) {
                throw new ParameterException(spec.commandLine(), "--owner " + user + ": no such user on this host "
                        + "(install the package that creates it first, or leave --owner out and give the key to the "
                        + "user on the host that uses it)", e, null, user);
            }
        }

        String give(Path key, UserPrincipal owner) throws IOException {
            if (owner == null) {
                return "";
            }
            Files.setOwner(key, owner);
            return ", owned by " + owner.getName();
        }
    }

    @Command(name = "issue-agent", mixinStandardHelpOptions = true,
            description = "Issue a client certificate for the agent on HOST; its CN is the identity alerts carry.")
    static final class IssueAgent extends Step {
        @Parameters(paramLabel = "HOST", description = "the agent's identity (its identity.host)")
        String host;

        @Option(names = "--file-name", paramLabel = "NAME", description = "write NAME.pem and NAME-key.pem instead "
                + "of HOST.pem and HOST-key.pem, e.g. agent: the files the packaged agent.yaml names")
        String fileName;

        @Mixin
        KeyOwner owner;

        @Override
        public Integer call() throws Exception {
            UserPrincipal user = owner.principal(spec);
            TlsFiles files = Pki.load(where.dir).issueAgent(host, fileName != null ? fileName : host);
            String given = owner.give(files.key(), user);
            say("issued agent certificate " + files.cert() + " (key " + files.key() + given + ")");
            return 0;
        }
    }

    @Command(name = "issue-collector", mixinStandardHelpOptions = true,
            description = "Issue a server certificate for a collector, valid for NAME, loopback and each --san.")
    static final class IssueCollector extends Step {
        @Parameters(paramLabel = "NAME", description = "the collector's host name, also the file name")
        String name;

        @Option(names = "--san", paramLabel = "NAME", description = "another DNS name or IP address agents dial")
        String[] extraNames = {};

        @Mixin
        KeyOwner owner;

        @Override
        public Integer call() throws Exception {
            UserPrincipal user = owner.principal(spec);
            TlsFiles files = Pki.load(where.dir).issueServer(name, extraNames);
            String given = owner.give(files.key(), user);
            say("issued collector certificate " + files.cert() + " (key " + files.key() + given + ")");
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Add CERT to DIR/crl.pem. Collectors that name it in tls.crl refuse the certificate "
                    + "within their tls.reloadInterval and close its open connections.")
    static final class Revoke extends Step {
        @Parameters(paramLabel = "CERT", description = "the PEM certificate to revoke")
        Path certificate;

        @Override
        public Integer call() throws Exception {
            Pki pki = Pki.load(where.dir);
            say("revoked serial " + pki.revoke(certificate).toString(16) + " (" + certificate + "); list "
                    + pki.crl());
            return 0;
        }
    }
}
