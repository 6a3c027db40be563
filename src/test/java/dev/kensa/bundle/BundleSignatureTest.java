package dev.kensa.bundle;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundleSignatureTest {

    @Test
    void signedBundleVerifiesAsDirectoryAndZip(@TempDir Path tmp) throws Exception {
        ModelBundle b = BundleFixtures.writeBundle(tmp, "b", BundleFixtures.stats());
        KeyPair kp = BundleSignature.generate();
        BundleSignature.writePrivate(tmp.resolve("k.key"), kp.getPrivate());
        BundleSignature.writePublic(tmp.resolve("k.pub"), kp.getPublic());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("k.key"))));
        BundleSignature.sign(b.dir(), BundleSignature.readPrivate(tmp.resolve("k.key")));
        assertEquals(64, Files.size(b.dir().resolve(BundleSignature.FILE)));
        var pub = BundleSignature.readPublic(tmp.resolve("k.pub"));
        assertEquals(b.sha256(), BundleReader.read(b.dir(), pub).sha256());
        Path zip = tmp.resolve("b.zip");
        BundleWriter.zip(b.dir(), zip);
        assertEquals(b.sha256(), BundleReader.read(zip, pub).sha256(), "the zip carries manifest.sig");
        // a box without a key still reads a signed bundle
        BundleReader.read(b.dir());
    }

    @Test
    void unsignedBundleIsRefusedWhenAKeyIsConfigured(@TempDir Path tmp) throws Exception {
        ModelBundle b = BundleFixtures.writeBundle(tmp, "b", BundleFixtures.stats());
        BundleException e = assertThrows(BundleException.class,
                () -> BundleReader.read(b.dir(), BundleSignature.generate().getPublic()));
        assertTrue(e.getMessage().contains("unsigned bundle refused"), e.getMessage());
    }

    @Test
    void signatureByAnotherKeyOrOverAChangedManifestIsRefused(@TempDir Path tmp) throws Exception {
        ModelBundle b = BundleFixtures.writeBundle(tmp, "b", BundleFixtures.stats());
        KeyPair ours = BundleSignature.generate();
        KeyPair theirs = BundleSignature.generate();
        BundleSignature.sign(b.dir(), theirs.getPrivate());
        BundleException wrongKey = assertThrows(BundleException.class, () -> BundleReader.read(b.dir(), ours.getPublic()));
        assertTrue(wrongKey.getMessage().contains("bad signature"), wrongKey.getMessage());

        BundleSignature.sign(b.dir(), ours.getPrivate());
        Path manifest = b.dir().resolve(BundleReader.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replace("\"name\"", "\"name\" ")); // same JSON, other bytes
        BundleException changed = assertThrows(BundleException.class, () -> BundleReader.read(b.dir(), ours.getPublic()));
        assertTrue(changed.getMessage().contains("bad signature"), changed.getMessage());

        Files.write(b.dir().resolve(BundleSignature.FILE), new byte[]{1, 2, 3});
        BundleException garbage = assertThrows(BundleException.class, () -> BundleReader.read(b.dir(), ours.getPublic()));
        assertTrue(garbage.getMessage().contains("bad signature"), garbage.getMessage());
    }

    @Test
    void keysThatAreNotEd25519PemAreClearErrors(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("x.pub"), "hello");
        BundleException e = assertThrows(BundleException.class, () -> BundleSignature.readPublic(tmp.resolve("x.pub")));
        assertTrue(e.getMessage().contains("not a PEM PUBLIC KEY"), e.getMessage());
    }
}
