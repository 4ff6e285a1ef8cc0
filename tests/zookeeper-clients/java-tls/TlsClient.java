// ZooKeeper's Java client over TLS (ClientCnxnSocketNetty, zookeeper.client.secure=true: the
// system properties tls_clients_test.py passes): connects to the secure ports named in its
// first argument, writes and reads back, sees a watch fire, and checks that whoAmI names the
// certificate's subject (its second argument) as the client's x509 identity. Prints PASS and
// exits 0, or says what failed and exits 1.
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ClientInfo;

public final class TlsClient {
  public static void main(String[] args) throws Exception {
    String connect = args[0];
    String subject = args[1];
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(connect, 10000, event -> {
      if (event.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
    });
    try {
      check(connected.await(30, TimeUnit.SECONDS), "not connected within 30 s");
      String path = "/java-tls-" + System.nanoTime();
      zk.create(path, "java".getBytes(StandardCharsets.UTF_8), ZooDefs.Ids.OPEN_ACL_UNSAFE,
          CreateMode.PERSISTENT);
      CountDownLatch changed = new CountDownLatch(1);
      byte[] data = zk.getData(path, event -> changed.countDown(), null);
      check(new String(data, StandardCharsets.UTF_8).equals("java"), "read back " + new String(data));
      zk.setData(path, "again".getBytes(StandardCharsets.UTF_8), -1);
      check(changed.await(30, TimeUnit.SECONDS), "no watch event within 30 s");
      List<ClientInfo> who = zk.whoAmI();
      boolean x509 = who.stream().anyMatch(
          c -> c.getAuthScheme().equals("x509") && c.getUser().equals(subject));
      check(x509, "whoAmI has no x509 " + subject + ": " + who);
      System.out.println("PASS");
    } finally {
      zk.close();
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      System.out.println("FAIL: " + what);
      System.exit(1);
    }
  }
}
