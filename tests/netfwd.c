/* A TCP-to-unix-socket forwarder for tests/netfault.sh: the server end of
 * the network path between the test's two network namespaces. Each
 * connection accepted on a TCP address is relayed, byte for byte, to a
 * test server's unix socket (a real PostgreSQL or MariaDB server), in
 * both directions, optionally through a delay line that holds every chunk
 * for a fixed time before passing it on (the kernel here may lack netem).
 *
 *   aiodb_netfwd [-d MS] ADDR:PORT SOCKET [[-d MS] ADDR:PORT SOCKET ...]
 *
 * -d gives the next listener's one-way delay in ms, each way. Prints
 * "ready" once every listener listens; exits on SIGTERM, when its parent
 * dies, or after an hour whatever happens. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTEN 8
#define MAX_PAIRS 256
#define CHUNK 65536
#define MAX_QUEUED (4 * CHUNK) /* per direction: read no more meanwhile */
#define LIFETIME_MS (3600.0 * 1000.0)

typedef struct chunk {
  struct chunk *next;
  double ready; /* ms, monotonic */
  size_t len, off;
  char data[];
} chunk;

/* One direction of a relayed connection: from -> to. */
typedef struct dir {
  int from, to;
  chunk *head, *tail;
  size_t queued;
  int eof; /* from has ended; close once the queue is drained */
} dir;

typedef struct pair {
  int used;
  int delay_ms;
  dir d[2];
} pair;

typedef struct listener {
  int fd, delay_ms;
  char path[108];
} listener;

static listener lst[MAX_LISTEN];
static int nlst;
static pair pairs[MAX_PAIRS];
static volatile sig_atomic_t stop;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void pair_close(pair *p) {
  int i;
  for (i = 0; i < 2; i++) {
    while (p->d[i].head) {
      chunk *c = p->d[i].head;
      p->d[i].head = c->next;
      free(c);
    }
  }
  close(p->d[0].from);
  close(p->d[0].to);
  memset(p, 0, sizeof *p);
}

static void accept_one(listener *l) {
  struct sockaddr_un ua;
  int c = accept(l->fd, NULL, NULL), u, i;
  if (c < 0) return;
  for (i = 0; i < MAX_PAIRS && pairs[i].used; i++) continue;
  u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memset(&ua, 0, sizeof ua);
  ua.sun_family = AF_UNIX;
  memcpy(ua.sun_path, l->path, sizeof ua.sun_path - 1);
  if (i == MAX_PAIRS || u < 0 || connect(u, (struct sockaddr *)&ua, sizeof ua) != 0) {
    close(c);
    if (u >= 0) close(u);
    return;
  }
  nonblock(c);
  nonblock(u);
  pairs[i].used = 1;
  pairs[i].delay_ms = l->delay_ms;
  pairs[i].d[0].from = c;
  pairs[i].d[0].to = u;
  pairs[i].d[1].from = u;
  pairs[i].d[1].to = c;
}

/* Reads what from has; returns -1 when the pair must close now. */
static int pump_in(pair *p, dir *d) {
  chunk *c = malloc(sizeof *c + CHUNK);
  ssize_t n;
  if (c == NULL) return -1;
  n = read(d->from, c->data, CHUNK);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    free(c);
    return 0;
  }
  if (n <= 0) {
    free(c);
    d->eof = 1;
    return 0;
  }
  c->next = NULL;
  c->len = (size_t)n;
  c->off = 0;
  c->ready = now_ms() + p->delay_ms;
  if (d->tail)
    d->tail->next = c;
  else
    d->head = c;
  d->tail = c;
  d->queued += (size_t)n;
  return 0;
}

/* Writes what is due; returns -1 when the pair must close now. */
static int pump_out(dir *d, double now) {
  while (d->head && d->head->ready <= now) {
    chunk *c = d->head;
    ssize_t n = write(d->to, c->data + c->off, c->len - c->off);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n <= 0) return -1;
    c->off += (size_t)n;
    d->queued -= (size_t)n;
    if (c->off < c->len) return 0;
    d->head = c->next;
    if (d->head == NULL) d->tail = NULL;
    free(c);
  }
  return d->eof && d->head == NULL ? -1 : 0;
}

static int parse_listen(const char *spec, const char *path, int delay_ms) {
  struct sockaddr_in a;
  char host[64];
  const char *colon = strrchr(spec, ':');
  int one = 1;
  listener *l = &lst[nlst];
  if (colon == NULL || (size_t)(colon - spec) >= sizeof host || nlst == MAX_LISTEN ||
      strlen(path) >= sizeof l->path)
    return -1;
  memcpy(host, spec, (size_t)(colon - spec));
  host[colon - spec] = '\0';
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(colon + 1));
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) return -1;
  l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l->fd < 0) return -1;
  setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(l->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(l->fd, 64) != 0) {
    perror(spec);
    return -1;
  }
  nonblock(l->fd);
  l->delay_ms = delay_ms;
  strcpy(l->path, path);
  nlst++;
  return 0;
}

int main(int argc, char **argv) {
  struct pollfd pfd[MAX_LISTEN + 2 * MAX_PAIRS];
  int owner[MAX_LISTEN + 2 * MAX_PAIRS];
  int i, delay_ms = 0;
  double start = now_ms();

  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  signal(SIGPIPE, SIG_IGN);
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
      delay_ms = atoi(argv[++i]);
    } else if (i + 1 < argc && parse_listen(argv[i], argv[i + 1], delay_ms) == 0) {
      i++;
      delay_ms = 0;
    } else {
      fprintf(stderr, "usage: aiodb_netfwd [-d MS] ADDR:PORT SOCKET ...\n");
      return 2;
    }
  }
  if (nlst == 0) return 2;
  printf("ready\n");
  fflush(stdout);

  while (!stop && now_ms() - start < LIFETIME_MS) {
    int n = 0, timeout = 1000, k;
    double now = now_ms();
    for (i = 0; i < nlst; i++) {
      pfd[n].fd = lst[i].fd;
      pfd[n].events = POLLIN;
      owner[n++] = -1 - i;
    }
    for (i = 0; i < MAX_PAIRS; i++) {
      pair *p = &pairs[i];
      for (k = 0; p->used && k < 2; k++) {
        dir *d = &p->d[k];
        short ev = 0;
        /* the fd read in this direction, and written in the other */
        if (!d->eof && d->queued < MAX_QUEUED) ev |= POLLIN;
        if (p->d[1 - k].head && p->d[1 - k].head->ready <= now) ev |= POLLOUT;
        if (p->d[1 - k].head && p->d[1 - k].head->ready > now) {
          int wait = (int)(p->d[1 - k].head->ready - now) + 1;
          if (wait < timeout) timeout = wait;
        }
        /* once it ended, its hang-ups would only spin the loop */
        pfd[n].fd = d->eof ? -1 : d->from;
        pfd[n].events = ev;
        owner[n++] = i * 2 + k;
      }
    }
    if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) break;
    now = now_ms();
    for (i = 0; i < n; i++) {
      if (owner[i] < 0) {
        if (pfd[i].revents & POLLIN) accept_one(&lst[-1 - owner[i]]);
        continue;
      }
      {
        pair *p = &pairs[owner[i] / 2];
        dir *d = &p->d[owner[i] % 2];
        if (!p->used) continue;
        if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) && !d->eof && pump_in(p, d) != 0) {
          pair_close(p);
          continue;
        }
      }
    }
    /* due chunks go out in every direction (also those that came due
     * without their fd being polled for writing) */
    for (i = 0; i < MAX_PAIRS; i++) {
      pair *p = &pairs[i];
      if (p->used && (pump_out(&p->d[0], now) != 0 || pump_out(&p->d[1], now) != 0))
        pair_close(p);
    }
  }
  for (i = 0; i < MAX_PAIRS; i++)
    if (pairs[i].used) pair_close(&pairs[i]);
  for (i = 0; i < nlst; i++) close(lst[i].fd);
  return 0;
}
