package AzoaiTest;

# Integration test harness for ngx_http_azoai_module (core Perl only).
#
#   use lib 't/lib';
#   use AzoaiTest;
#
#   AzoaiTest::require_module();          # skip_all unless AZOAI_MODULE
#   my $t = AzoaiTest->new(workers => 1);
#   $t->write_catalog(AzoaiTest::standard_catalog());
#   $t->write_conf(<<'EOF');
#   server {
#       listen 127.0.0.1:%%PORT%%;
#       azoai on;
#       azoai_catalog %%DIR%%/catalog.json;
#       location / { proxy_pass http://%%UPSTREAM%%; }
#   }
#   EOF
#   $t->start_upstream;
#   $t->start;
#   my $r = http_request($t->port, method => 'POST', path => '/x',
#                        body => '{}');
#   my @seen = $t->upstream_requests;
#   $t->error_log_clean;
#
# Each test gets its own temp dir (nginx prefix, conf, logs, temp paths and
# the upstream's recordings).  NGINX and the upstream are stopped at END;
# the temp dir is removed unless a test failed (then its path is printed)
# or AZOAI_TEST_KEEP=1.
#
# Environment: AZOAI_MODULE (the .so; tests skip_all without it), NGINX
# (default /usr/sbin/nginx), AZOAI_TEST_TIMEOUT (seconds, default 10, 60
# under valgrind), AZOAI_VALGRIND=1 (start NGINX under valgrind memcheck;
# error_log_clean and the end of the test file fail on memcheck errors in
# frames of the module; logs in DIR/vg.PID.log), AZOAI_VALGRIND_OPTS
# (more valgrind options, e.g. --track-origins=yes).
#
# Object:  new(workers => N, error_log_level => 'info', daemon => 0|1,
#          module => path|undef, env => {NAME => value},
#          valgrind => 0|1), port(name), upstream_addr, dir,
#          write_file, read_file, write_catalog, write_conf(http, main =>,
#          file =>), nginx_test(conf) -> (rc, output), start, stop,
#          reload(http?), worker_pids, error_log, error_log_clean(name),
#          access_log_wait(re, file), start_upstream, stop_upstream,
#          upstream_count, upstream_requests(from), request(spec),
#          expect_denied(spec, status, code, name),
#          expect_allowed(spec, name, body =>, decision =>, status =>),
#          set_env(NAME => value), valgrind_errors, worker_rss,
#          ask_response(kind, path =>, body =>, ...),
#          first_event_then_rest(path =>, kind =>, body =>, id =>).
# Exported: http_request, http_send_raw, build_request, curl_h2,
#          curl_h2_available, json_decode, json_encode, is_denial,
#          http_pipeline, h2_session, server_block, sse_delta_text,
#          error_message.
# t/lib/AzoaiUpstream.pm: a scripted stand-in upstream (exact writes,
# pauses) for responses the recording upstream does not make.
#
# env: variables (LD_PRELOAD, ...) set for the NGINX processes the
# harness starts (the master; forked workers inherit what the master
# loaded at exec, whatever NGINX's "env" directive keeps).
#
# The recording upstream answers 200 JSON with usage by default; request
# header X-Test-Response selects "sse", "sse-responses", "gzip" or
# "error" (404 DeploymentNotFound).  It keeps each request's exact bytes
# in DIR/upstream/req-NNNNN.http (.partial if the peer went away early).

use strict;
use warnings;

use Exporter 'import';
use Test::More ();
use IO::Socket::INET;
use IO::Select;
use POSIX qw(WNOHANG);
use Socket qw(SHUT_WR);
use Fcntl qw(O_CREAT O_EXCL O_WRONLY);
use File::Temp qw(tempdir tempfile);
use File::Basename qw(dirname);
use File::Spec;
use File::Path qw(rmtree);
use Time::HiRes qw(time sleep);
use JSON::PP ();
use IO::Compress::Gzip qw(gzip $GzipError);

our @EXPORT = qw(http_request http_send_raw build_request curl_h2
    curl_h2_available json_decode json_encode is_denial http_pipeline
    h2_session);

our $VALGRIND = $ENV{AZOAI_VALGRIND} ? 1 : 0;
our $TIMEOUT = $ENV{AZOAI_TEST_TIMEOUT} || ($VALGRIND ? 60 : 10);

# memcheck findings that count, and the frames that make them ours
my $VG_KIND = qr/Invalid\ (?:read|write|free)|uninitialised|Uninitialised
    |are\ definitely\ lost|Mismatched\ free|overlap|Syscall\ param/x;
my $VG_OURS = qr/ngx_http_azoai|azoai_/;

my @INSTANCES;

my $DEFAULT_JSON = '{"id":"chatcmpl-1","object":"chat.completion",'
    . '"choices":[],'
    . '"usage":{"prompt_tokens":11,"completion_tokens":7,'
    . '"total_tokens":18}}';


# --- setup ---------------------------------------------------------------

sub require_module {
    my $m = $ENV{AZOAI_MODULE};

    if (!defined $m || $m eq '') {
        Test::More::plan(skip_all =>
            'AZOAI_MODULE is not set (path to ngx_http_azoai_module.so)');
    }
    if (!-f $m) {
        Test::More::plan(skip_all => "AZOAI_MODULE $m does not exist");
    }
    return $m;
}

sub nginx_binary {
    return $ENV{NGINX} || '/usr/sbin/nginx';
}

sub new {
    my ($class, %opt) = @_;
    my $self = bless {
        module     => exists $opt{module} ? $opt{module}
                                          : $ENV{AZOAI_MODULE},
        workers    => $opt{workers} || 1,
        log_level  => $opt{error_log_level} || 'info',
        daemon     => $opt{daemon} ? 1 : 0,
        ports      => {},
        nginx_pid  => undef,
        up_pid     => undef,
        env        => { %{$opt{env} || {}} },
        valgrind   => exists $opt{valgrind} ? $opt{valgrind} : $VALGRIND,
        vg_seen    => {},
    }, $class;

    $self->{dir} = tempdir('azoai-test-XXXXXXXX', TMPDIR => 1,
                           CLEANUP => 0);
    # workers run as nobody when the tests run as root
    chmod 0755, $self->{dir};
    mkdir "$self->{dir}/upstream" or die "mkdir: $!";

    push @INSTANCES, $self;
    return $self;
}

sub dir { $_[0]->{dir} }

# environment variables for the NGINX processes started from now on
sub set_env {
    my ($self, %env) = @_;
    @{$self->{env}}{keys %env} = values %env;
    return $self;
}

# a free 127.0.0.1 port per name, released for NGINX to bind: drawn
# below the kernel's ephemeral range, which the clients' connections
# (and port-0 binds) of the test files running alongside take from, so
# that none of them can hold it by the time NGINX binds it (one such
# collision failed t/44 in a make test run); port 0 where that range
# leaves too few ports below it
my ($EPHEMERAL_LOW) = do {
    open my $fh, '<', '/proc/sys/net/ipv4/ip_local_port_range';
    my $line = $fh ? <$fh> : '';
    ($line // '') =~ /^\s*(\d+)/;
};
my $PORT_LOW = 20000;

sub port {
    my ($self, $name) = @_;

    $name = 'main' unless defined $name;
    return $self->{ports}{$name} if $self->{ports}{$name};

    my %taken = map { $_ => 1 } values %{$self->{ports}};
    $taken{$self->{up_port}} = 1 if $self->{up_port};

    my $span = ($EPHEMERAL_LOW // 0) - $PORT_LOW;

    for (1 .. 200) {
        my $want = $span >= 1000 ? $PORT_LOW + int(rand($span)) : 0;
        next if $taken{$want};
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
            LocalPort => $want, Proto => 'tcp', Listen => 1,
            ReuseAddr => 0);
        if (!$s) {
            next if $want;
            die "cannot bind a free port: $!";
        }
        my $p = $s->sockport;
        close $s;
        next if $taken{$p};
        return $self->{ports}{$name} = $p;
    }
    die "no free port";
}

sub upstream_addr {
    my ($self) = @_;
    $self->_upstream_listen;
    return "127.0.0.1:$self->{up_port}";
}

sub write_file {
    my ($self, $name, $content) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";

    open my $fh, '>:raw', $path or die "write $path: $!";
    print $fh $content;
    close $fh or die "close $path: $!";
    return $path;
}

sub read_file {
    my ($self, $name) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";

    open my $fh, '<:raw', $path or return undef;
    local $/;
    my $content = <$fh>;
    close $fh;
    return $content;
}

# a catalog suitable for most tests: GA, preview, retired models and the
# deployments the tests name
sub standard_catalog {
    return <<'EOF';
{
  "models": {
    "gpt-4o": { "2024-05-13": "ga", "2024-08-06": "ga", "2024-11-20": "ga" },
    "gpt-4o-mini": { "2024-07-18": "ga" },
    "text-embedding-3-small": { "1": "ga" },
    "gpt-realtime": { "2025-08-28": "ga" },
    "gpt-4o-realtime-preview": { "2024-12-17": "preview" },
    "gpt-5-chat": { "*": "preview" },
    "gpt-image-1": { "2025-04-15": "preview" },
    "gpt-35-turbo": { "0613": "retired" },
    "gpt-4o-audio-preview": { "2024-12-17": "ga" }
  },
  "deployments": {
    "chat-prod": { "model": "gpt-4o", "version": "2024-11-20" },
    "chat-mini": { "model": "gpt-4o-mini", "version": "2024-07-18" },
    "embed-prod": { "model": "text-embedding-3-small", "version": "1" },
    "realtime-ga": { "model": "gpt-realtime", "version": "2025-08-28" },
    "rt-preview": { "model": "gpt-4o-realtime-preview",
                    "version": "2024-12-17" },
    "chat-preview": { "model": "gpt-5-chat", "version": "2025-08-07" },
    "image-preview": { "model": "gpt-image-1", "version": "2025-04-15" },
    "old-chat": { "model": "gpt-35-turbo", "version": "0613" },
    "audio-sneaky": { "model": "gpt-4o-audio-preview",
                      "version": "2024-12-17" }
  }
}
EOF
}

sub write_catalog {
    my ($self, $catalog, $name) = @_;

    $catalog = standard_catalog() unless defined $catalog;
    $catalog = json_encode($catalog) if ref $catalog;
    return $self->write_file($name || 'catalog.json', $catalog);
}

# Wraps the http{} contents in a complete nginx.conf.  Placeholders:
# %%PORT%% (port 'main'), %%PORT_<NAME>%% (port 'name'), %%UPSTREAM%%
# (host:port of the recording upstream), %%DIR%% (the temp dir),
# %%CATALOG%% (DIR/catalog.json).
sub write_conf {
    my ($self, $http, %opt) = @_;
    my $load = '';
    my $conf;

    if ($self->{module}) {
        $load = "load_module $self->{module};\n";
    }

    my $main = $opt{main} || '';
    my $workers = $opt{workers} || $self->{workers};
    my $daemon = $self->{daemon} ? 'on' : 'off';
    my $events = $opt{events} || '';

    $conf = <<"EOF";
${load}worker_processes $workers;
daemon $daemon;
master_process on;
pid nginx.pid;
lock_file nginx.lock;
error_log error.log $self->{log_level};
$main
events {
    worker_connections 256;
    $events
}

http {
    access_log access.log;
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    fastcgi_temp_path fastcgi_temp;
    uwsgi_temp_path uwsgi_temp;
    scgi_temp_path scgi_temp;

$http
}
EOF

    $conf = $self->expand($conf);
    $self->{conf_text} = $conf;
    $self->{workers_running} = $workers;
    return $self->write_file($opt{file} || 'nginx.conf', $conf);
}

sub expand {
    my ($self, $text) = @_;

    $text =~ s/%%PORT%%/$self->port('main')/ge;
    $text =~ s/%%PORT_(\w+)%%/$self->port(lc $1)/ge;
    $text =~ s/%%UPSTREAM%%/$self->upstream_addr/ge;
    $text =~ s/%%CATALOG%%/$self->{dir}\/catalog.json/g;
    $text =~ s/%%DIR%%/$self->{dir}/g;
    return $text;
}


# --- nginx ---------------------------------------------------------------

sub _nginx_args {
    my ($self, $conf, $elog) = @_;
    return (nginx_binary(), '-p', "$self->{dir}/", '-c',
            $conf || "$self->{dir}/nginx.conf",
            '-e', $elog || "$self->{dir}/error.log");
}

# runs a command, returns (exit status, stdout+stderr); a leading hash
# ref is environment for the command
sub _run {
    my (@cmd) = @_;
    my $env = ref $cmd[0] eq 'HASH' ? shift @cmd : {};
    my $pid = open(my $fh, '-|') // die "fork: $!";

    if ($pid == 0) {
        # nginx takes NGINX in its environment for inherited sockets
        delete $ENV{NGINX};
        @ENV{keys %$env} = values %$env;
        open STDERR, '>&', \*STDOUT;
        exec @cmd or POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh>;
    close $fh;
    return ($? >> 8, defined $out ? $out : '');
}

# nginx -t; returns (exit status, output)
sub nginx_test {
    my ($self, $conf) = @_;

    return _run($self->_nginx_args($conf, "$self->{dir}/test-error.log"),
                '-t');
}

sub start {
    my ($self) = @_;
    my $deadline = time + $TIMEOUT;

    die "nginx already running" if $self->{nginx_pid};
    unlink "$self->{dir}/nginx.pid";

    my @prefix = $self->_valgrind_prefix;

    if ($self->{daemon}) {
        my ($rc, $out) = _run($self->{env}, @prefix, $self->_nginx_args);
        die "nginx failed to start ($rc): $out\n" . $self->_log_tail
            if $rc != 0;
    } else {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            open STDIN, '<', '/dev/null';
            open STDOUT, '>>', "$self->{dir}/stderr.log";
            open STDERR, '>&', \*STDOUT;
            my @cmd = (@prefix, $self->_nginx_args);
            delete $ENV{NGINX};
            @ENV{keys %{$self->{env}}} = values %{$self->{env}};
            exec @cmd or POSIX::_exit(127);
        }
        $self->{child_pid} = $pid;
    }

    while (time < $deadline) {
        if ($self->{child_pid}
            && waitpid($self->{child_pid}, WNOHANG) == $self->{child_pid})
        {
            my $st = $? >> 8;
            delete $self->{child_pid};
            die "nginx exited at start ($st)\n" . $self->_log_tail;
        }
        my $pid = $self->read_file('nginx.pid');
        if (defined $pid && $pid =~ /^(\d+)/ && $self->_ports_up) {
            $self->{nginx_pid} = $1;
            # and every worker runs (they start after the sockets listen)
            return $self
                if $self->worker_pids >= ($self->{workers_running} || 1);
        }
        sleep 0.02;
    }
    die "nginx did not start within ${TIMEOUT}s\n" . $self->_log_tail;
}

# valgrind memcheck in front of the nginx command (AZOAI_VALGRIND=1);
# PCRE2 runs without JIT there (tests/preload/nojit.c), whose read-ahead
# memcheck reports as uninitialised values in unnamed code
sub _valgrind_prefix {
    my ($self) = @_;

    return () unless $self->{valgrind};

    if (!$self->{nojit}) {
        my $src = File::Spec->catfile(dirname(File::Spec->rel2abs(__FILE__)),
            '..', '..', 'tests', 'preload', 'nojit.c');
        my $so = "$self->{dir}/nojit.so";
        my ($rc, $out) = _run($ENV{CC} || 'cc', '-shared', '-fPIC', '-o',
                              $so, $src);
        if ($rc == 0) {
            $self->{nojit} = $so;
            $self->{env}{LD_PRELOAD} = join ':', $so,
                grep { defined && length } $self->{env}{LD_PRELOAD},
                    $ENV{LD_PRELOAD};
        } else {
            Test::More::diag("valgrind: PCRE2 JIT stays on: $out");
            $self->{nojit} = 'none';
        }
    }
    return ('valgrind', '--tool=memcheck', '--trace-children=yes',
            '--error-exitcode=0', '--num-callers=40',
            '--leak-check=full', '--show-leak-kinds=definite',
            "--log-file=$self->{dir}/vg.%p.log",
            split(' ', $ENV{AZOAI_VALGRIND_OPTS} || ''));
}

# memcheck error records (each a text block) of the vg logs that are of
# a counted kind and have a frame in the module
sub valgrind_errors {
    my ($self) = @_;
    my @found;

    opendir my $dh, $self->{dir} or return ();
    for my $f (sort grep { /^vg\.\d+\.log$/ } readdir $dh) {
        my $log = $self->read_file($f);
        next unless defined $log;
        # records are separated by an empty "==PID== " line
        for my $rec (split /^==\d+==\s*\n/m, $log) {
            my ($first) = $rec =~ /^==\d+==\s+(\S.*)$/m;
            next unless defined $first && $first =~ $VG_KIND;
            next unless $rec =~ $VG_OURS;
            push @found, "$f:\n$rec";
        }
    }
    return @found;
}

# the new findings since the last call
sub _valgrind_new {
    my ($self) = @_;
    my @new = grep { !$self->{vg_seen}{$_}++ } $self->valgrind_errors;
    return @new;
}

sub _listen_ports {
    my ($self) = @_;
    my @ports = ($self->{conf_text} || '') =~ /listen\s+127\.0\.0\.1:(\d+)/g;
    return @ports;
}

sub _ports_up {
    my ($self) = @_;

    for my $p ($self->_listen_ports) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $p, Proto => 'tcp', Timeout => 1);
        return 0 unless $s;
        close $s;
    }
    return 1;
}

sub _log_tail {
    my ($self) = @_;
    my $log = $self->read_file('error.log');
    $log = $self->read_file('stderr.log') || '' unless $log;
    my @l = split /\n/, $log;
    @l = @l[-20 .. -1] if @l > 20;
    return join("\n", @l) . "\n";
}

sub _alive {
    my ($pid) = @_;

    return 0 unless kill 0, $pid;
    # a daemon's zombie (nobody reaps it in some containers)
    if (open my $fh, '<', "/proc/$pid/stat") {
        my $stat = <$fh>;
        return 0 if defined $stat && $stat =~ /^\d+ \(.*\) Z/;
    }
    return 1;
}

sub _children {
    my ($ppid) = @_;
    my @kids;

    opendir my $dh, '/proc' or return ();
    for my $p (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$p/stat" or next;
        my $stat = <$fh>;
        next unless defined $stat && $stat =~ /\)\s+(\S)\s+(\d+)/;
        push @kids, $p if $2 == $ppid && $1 ne 'Z';
    }
    return @kids;
}

sub worker_pids {
    my ($self) = @_;
    return () unless $self->{nginx_pid};
    my @pids = sort { $a <=> $b } _children($self->{nginx_pid});
    return @pids;
}

# the summed VmRSS of the workers, in kB; with FIELD another line of
# /proc/PID/status (VmHWM: the peak)
sub worker_rss {
    my ($self, $field) = @_;
    my $kb = 0;

    $field //= 'VmRSS';
    for my $p ($self->worker_pids) {
        open my $fh, '<', "/proc/$p/status" or next;
        while (<$fh>) {
            $kb += $1 if /^\Q$field\E:\s+(\d+)/;
        }
        close $fh;
    }
    return $kb;
}

# the summed peak RSS (VmHWM) of the workers, in kB
sub worker_hwm { return $_[0]->worker_rss('VmHWM') }

# nginx -s reload (optionally with new http{} contents); waits until the
# old workers are gone and the new ones run.  Returns true on success.
sub reload {
    my ($self, $http, %opt) = @_;
    my %old = map { $_ => 1 } $self->worker_pids;
    my $deadline = time + $TIMEOUT;

    $self->write_conf($http, %opt) if defined $http;

    my ($rc, $out) = _run($self->_nginx_args, '-s', 'reload');
    if ($rc != 0) {
        Test::More::diag("nginx -s reload failed: $out");
        return 0;
    }

    while (time < $deadline) {
        my @now = $self->worker_pids;
        my @new = grep { !$old{$_} } @now;
        my @left = grep { $old{$_} } @now;
        return 1 if @new >= $self->{workers_running} && !@left;
        sleep 0.02;
    }
    Test::More::diag("reload: workers did not change within ${TIMEOUT}s");
    return 0;
}

sub stop {
    my ($self) = @_;
    my $pid = $self->{nginx_pid} || $self->{child_pid};

    return unless $pid;
    kill 'QUIT', $pid;
    my $deadline = time + ($self->{valgrind} ? $TIMEOUT : 5);
    while (time < $deadline) {
        if ($self->{child_pid}) {
            last if waitpid($self->{child_pid}, WNOHANG) == $self->{child_pid};
        } else {
            last unless _alive($pid);
        }
        sleep 0.02;
    }
    if (_alive($pid)) {
        kill 'KILL', $pid;
        waitpid($self->{child_pid}, 0) if $self->{child_pid};
    }
    delete $self->{nginx_pid};
    delete $self->{child_pid};
}

sub error_log {
    my ($self) = @_;
    return $self->read_file('error.log') || '';
}

# asserts the error log has no [alert]/[crit]/[emerg] and no worker that
# died of a signal
sub error_log_clean {
    my ($self, $name) = @_;
    my @bad = grep {
        /\[(?:alert|crit|emerg)\]/ || /exited on signal/
            || /AddressSanitizer|runtime error:/
    } split /\n/, $self->error_log . ($self->read_file('stderr.log') || '');

    push @bad, $self->_valgrind_new if $self->{valgrind};

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ok = Test::More::ok(!@bad, $name || 'error log clean');
    Test::More::diag(join "\n", @bad[0 .. ($#bad > 9 ? 9 : $#bad)])
        if @bad;
    return $ok;
}

# polls the access log until a line matches re (access log lines are
# written after the response)
sub access_log_wait {
    my ($self, $re, $file) = @_;
    my $deadline = time + $TIMEOUT;

    while (time < $deadline) {
        my @l = grep { /$re/ } split /\n/,
            ($self->read_file($file || 'access.log') || '');
        return $l[-1] if @l;
        sleep 0.02;
    }
    return undef;
}


# --- recording upstream --------------------------------------------------

sub _upstream_listen {
    my ($self) = @_;

    return if $self->{up_sock};
    $self->{up_sock} = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
        LocalPort => 0, Proto => 'tcp', Listen => 128, ReuseAddr => 1)
        or die "upstream: cannot listen: $!";
    $self->{up_port} = $self->{up_sock}->sockport;
}

sub start_upstream {
    my ($self) = @_;

    $self->_upstream_listen;
    return $self if $self->{up_pid};

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        eval {
            setpgrp(0, 0);
            $SIG{TERM} = sub { POSIX::_exit(0) };
            $SIG{CHLD} = 'IGNORE';
            $SIG{PIPE} = 'IGNORE';
            $self->_upstream_loop;
        };
        POSIX::_exit(0);
    }
    $self->{up_pid} = $pid;
    return $self;
}

sub stop_upstream {
    my ($self) = @_;

    return unless $self->{up_pid};
    kill 'TERM', -$self->{up_pid};
    kill 'TERM', $self->{up_pid};
    waitpid($self->{up_pid}, 0);
    delete $self->{up_pid};
}

sub _upstream_loop {
    my ($self) = @_;
    my $listen = $self->{up_sock};

    while (1) {
        my $c = $listen->accept or next;
        my $pid = fork;
        if (!defined $pid) {
            close $c;
            next;
        }
        if ($pid == 0) {
            close $listen;
            eval { $self->_upstream_conn($c) };
            POSIX::_exit(0);
        }
        close $c;
    }
}

# reads more bytes into $$buf; 0 on EOF, error or idle timeout
sub _read_more {
    my ($sock, $buf, $timeout) = @_;
    my $sel = IO::Select->new($sock);

    return 0 unless $sel->can_read($timeout);
    my $n = sysread($sock, $$buf, 65536, length $$buf);
    return $n ? $n : 0;
}

# end offset of a chunked body starting at $start in $buf, and the
# decoded body; () while incomplete
sub _chunked_end {
    my ($buf, $start) = @_;
    my $pos = $start;
    my $body = '';

    while (1) {
        my $eol = index($buf, "\r\n", $pos);
        return () if $eol < 0;
        my $line = substr($buf, $pos, $eol - $pos);
        $line =~ /^([0-9a-fA-F]+)/ or die "bad chunk size line";
        my $size = hex $1;
        $pos = $eol + 2;
        if ($size == 0) {
            # trailers, then an empty line
            while (1) {
                my $e = index($buf, "\r\n", $pos);
                return () if $e < 0;
                my $empty = $e == $pos;
                $pos = $e + 2;
                return ($pos, $body) if $empty;
            }
        }
        return () if length($buf) < $pos + $size + 2;
        $body .= substr($buf, $pos, $size);
        $pos += $size + 2;
    }
}

sub _record {
    my ($self, $raw, $suffix) = @_;
    my $dir = "$self->{dir}/upstream";

    for (my $n = 1; ; $n++) {
        my $base = sprintf "%s/req-%05d", $dir, $n;
        sysopen(my $fh, "$base.lock", O_CREAT | O_EXCL | O_WRONLY) or next;
        close $fh;
        open my $out, '>:raw', "$base.tmp" or die "record: $!";
        print $out $raw;
        close $out;
        rename "$base.tmp", "$base.$suffix" or die "rename: $!";
        return $n;
    }
}

sub _upstream_conn {
    my ($self, $c) = @_;
    my $buf = '';

    binmode $c;

    while (1) {
        my $hend;
        while (($hend = index($buf, "\r\n\r\n")) < 0) {
            if (!_read_more($c, \$buf, 30)) {
                $self->_record($buf, 'partial') if length $buf;
                return;
            }
        }

        my $head = substr($buf, 0, $hend + 4);
        my ($line, @hl) = split /\r\n/, substr($buf, 0, $hend);
        my %h;
        for (@hl) {
            my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
            $h{lc $k} = $v;
        }

        my $end;
        if (($h{'transfer-encoding'} || '') =~ /chunked/i) {
            while (1) {
                ($end) = _chunked_end($buf, $hend + 4);
                last if defined $end;
                if (!_read_more($c, \$buf, 30)) {
                    $self->_record($buf, 'partial');
                    return;
                }
            }
        } else {
            $end = $hend + 4 + ($h{'content-length'} || 0);
            while (length $buf < $end) {
                if (!_read_more($c, \$buf, 30)) {
                    $self->_record($buf, 'partial');
                    return;
                }
            }
        }

        my $raw = substr($buf, 0, $end, '');
        $self->_record($raw, 'http');

        my $v11 = $line =~ m{HTTP/1\.1$};
        my $keep = $v11 && ($h{connection} || '') !~ /close/i;
        $self->_respond($c, lc($h{'x-test-response'} || ''), $v11, $keep,
                        $raw);
        return unless $keep;
    }
}

sub _common_headers {
    return "apim-request-id: 6f1c7e4a-0000-4000-8000-000000000001\r\n"
        . "x-request-id: 6f1c7e4a-0000-4000-8000-000000000002\r\n"
        . "x-ms-region: Sweden Central\r\n"
        . "x-ratelimit-remaining-tokens: 9982\r\n"
        . "x-ratelimit-remaining-requests: 99\r\n";
}

sub _sse_chat_writes {
    my $first = 'data: {"id":"","object":"","created":0,"model":"",'
        . '"prompt_filter_results":[{"prompt_index":0,'
        . '"content_filter_results":{}}],"choices":[]}' . "\n\n";
    my $c1 = 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk",'
        . '"created":1,"model":"gpt-4o-2024-11-20","choices":[{"index":0,'
        . '"delta":{"role":"assistant","content":"Hel"}}]}' . "\n\n";
    my $c2 = 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk",'
        . '"created":1,"model":"gpt-4o-2024-11-20","choices":[{"index":0,'
        . '"delta":{"content":"lo"},"finish_reason":"stop"}]}' . "\n\n";
    my $usage = 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk",'
        . '"created":1,"model":"gpt-4o-2024-11-20","choices":[],'
        . '"usage":{"prompt_tokens":11,"completion_tokens":7,'
        . '"total_tokens":18}}' . "\n\n";
    my $split = index($usage, '"usage"') + 9;

    # the usage line arrives in two writes
    return ($first, $c1, $c2 . substr($usage, 0, $split),
            substr($usage, $split), "data: [DONE]\n\n");
}

sub _sse_responses_writes {
    my $created = "event: response.created\n"
        . 'data: {"type":"response.created","sequence_number":0,'
        . '"response":{"id":"resp_1","object":"response",'
        . '"status":"in_progress","usage":null}}' . "\n\n";
    my $delta = "event: response.output_text.delta\n"
        . 'data: {"type":"response.output_text.delta","sequence_number":1,'
        . '"item_id":"msg_1","output_index":0,"content_index":0,'
        . '"delta":"Hello"}' . "\n\n";
    my $done = "event: response.completed\n"
        . 'data: {"type":"response.completed","sequence_number":2,'
        . '"response":{"id":"resp_1","object":"response",'
        . '"status":"completed","usage":{"input_tokens":11,'
        . '"input_tokens_details":{"cached_tokens":0},'
        . '"output_tokens":7,"output_tokens_details":'
        . '{"reasoning_tokens":0},"total_tokens":18}}}' . "\n\n";
    my $split = index($done, '"usage"') + 4;

    return ($created, $delta . substr($done, 0, $split),
            substr($done, $split));
}

# the whole bodies the upstream streams, for comparisons
sub sse_chat_stream { return join '', _sse_chat_writes() }
sub sse_responses_stream { return join '', _sse_responses_writes() }
sub default_json { return $DEFAULT_JSON }

# "pii-json" (and "pii-gzip", compressed): a completion that carries PII
# of its own, in its text and its tool call arguments, and "[EMAIL_1]"
our $PII_JSON = '{"id":"carol@example.net","object":"chat.completion",'
    . '"choices":[{"finish_reason":"stop","index":0,"message":{"content":'
    . '"Write to carol@example.net or [EMAIL_1], call +1 415 555 0123.",'
    . '"tool_calls":[{"id":"c1","type":"function","function":{"name":"send",'
    . '"arguments":"{\\"to\\":\\"dave@example.net\\"}"}}],'
    . '"role":"assistant"}}],"usage":{"prompt_tokens":5,'
    . '"completion_tokens":6,"total_tokens":11}}';

sub _respond {
    my ($self, $c, $kind, $v11, $keep, $raw) = @_;
    my $conn = "Connection: " . ($keep ? 'keep-alive' : 'close') . "\r\n";

    return $self->_respond_echo($c, $kind, $v11, $conn, $raw)
        if $kind =~ /^(?:echo-|pii-(?:sse|args|pause))/;

    if ($kind eq 'sse' || $kind eq 'sse-responses') {
        my @w = $kind eq 'sse' ? _sse_chat_writes() : _sse_responses_writes();
        my $head = "HTTP/1.1 200 OK\r\n"
            . "Content-Type: text/event-stream; charset=utf-8\r\n"
            . "Cache-Control: no-cache\r\n" . _common_headers() . $conn;

        if ($v11) {
            _write_all($c, $head . "Transfer-Encoding: chunked\r\n\r\n");
            for my $w (@w) {
                sleep 0.02;
                _write_all($c, sprintf("%x\r\n%s\r\n", length $w, $w));
            }
            _write_all($c, "0\r\n\r\n");
        } else {
            # HTTP/1.0 upstream request: the body ends with the connection
            _write_all($c, $head . "\r\n");
            for my $w (@w) {
                sleep 0.02;
                _write_all($c, $w);
            }
        }
        return;
    }

    my ($status, $type, $body, $extra) = ('200 OK', 'application/json',
                                         $DEFAULT_JSON, '');
    if ($kind eq 'pii-json') {
        $body = $PII_JSON;
    } elsif ($kind eq 'pii-gzip') {
        gzip(\$PII_JSON => \$body) or die "gzip: $GzipError";
        $extra = "Content-Encoding: gzip\r\n";
    } elsif ($kind eq 'gzip') {
        my $z;
        gzip(\$DEFAULT_JSON => \$z) or die "gzip: $GzipError";
        $body = $z;
        $extra = "Content-Encoding: gzip\r\n";
    } elsif ($kind eq 'error') {
        $status = '404 Not Found';
        $body = '{"error":{"code":"DeploymentNotFound","message":"The API '
            . 'deployment for this resource does not exist. If you created '
            . 'the deployment within the last 5 minutes, please wait a '
            . 'moment and try again."}}';
    }

    _write_all($c, "HTTP/1.1 $status\r\nContent-Type: $type\r\n"
        . "Content-Length: " . length($body) . "\r\n" . $extra
        . _common_headers() . $conn . "\r\n" . $body);
}

# "echo-json", "echo-sse-N", "echo-args-N", "echo-pause": the last
# "content" string of the request (raw JSON string content) comes back as
# the completion: whole, or streamed in pieces of N bytes (escapes kept
# whole), each event written in two halves; "echo-args-N" streams it as
# tool call arguments {"to":"..."}; "echo-pause" sends its first event,
# then waits (5 s at most) for DIR/go before the rest.
sub _respond_echo {
    my ($self, $c, $kind, $v11, $conn, $raw) = @_;
    my @all = $raw =~ /"content":"([^"\\]*(?:\\.[^"\\]*)*)"/g;
    my $text = @all ? $all[-1] : '';

    # "pii-sse-N", "pii-args-N", "pii-pause": the text of "pii-json"
    if ($kind =~ s/^pii-/echo-/) {
        ($text) = $PII_JSON =~ /"content":"((?:[^"\\]|\\.)*)"/;
    }
    my $head = "HTTP/1.1 200 OK\r\n" . _common_headers() . $conn;

    if ($kind eq 'echo-json') {
        my $body = echo_json($text);
        _write_all($c, $head . "Content-Type: application/json\r\n"
            . "Content-Length: " . length($body) . "\r\n\r\n" . $body);
        return;
    }

    my ($mode, $n) = $kind =~ /^echo-(sse|args|pause)-?(\d*)$/ or return;
    $n ||= 4;
    my @units = $text =~ /(\\u[0-9a-fA-F]{4}|\\.|[\xc0-\xff][\x80-\xbf]*|.)/gs;
    my @pieces;
    while (@units) {
        my $p = '';
        $p .= shift @units while @units && length $p < $n;
        push @pieces, $p;
    }

    my @events;
    if ($mode eq 'args') {
        my $args = '{"to":"';
        push @events, _echo_args_event($args);
        push @events, _echo_args_event($_) for @pieces;
        push @events, _echo_args_event('"}');
    } else {
        push @events, map {
            'data: {"id":"chatcmpl-e","object":"chat.completion.chunk",'
            . '"choices":[{"delta":{"content":"' . $_ . '"},'
            . '"finish_reason":null,"index":0}]}' . "\n\n" } @pieces;
    }
    push @events, 'data: {"id":"chatcmpl-e","choices":[{"delta":{},'
        . '"finish_reason":"stop","index":0}]}' . "\n\n",
        "data: [DONE]\n\n";

    _write_all($c, $head . "Content-Type: text/event-stream\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n");
    for my $i (0 .. $#events) {
        my $e = $events[$i];
        my $half = int(length($e) / 2);
        for my $w (substr($e, 0, $half), substr($e, $half)) {
            _write_all($c, sprintf("%x\r\n%s\r\n", length $w, $w));
        }
        if ($mode eq 'pause' && $i == 0) {
            my $until = time + 5;
            select(undef, undef, undef, 0.02)
                while !-e "$self->{dir}/go" && time < $until;
        }
    }
    _write_all($c, "0\r\n\r\n");
}

# the completion "echo-json" answers for a request whose last content is
# TEXT (as the upstream received it)
sub echo_json {
    my ($text) = @_;
    return '{"id":"chatcmpl-e","object":"chat.completion",'
        . '"choices":[{"finish_reason":"stop","index":0,"message":'
        . '{"content":"' . $text . '","role":"assistant"}}],'
        . '"usage":{"prompt_tokens":5,"completion_tokens":6,'
        . '"total_tokens":11}}';
}

# An upstream on 127.0.0.1:PORT that reads BYTES of each request, then
# closes the connection (for proxy_next_upstream); returns its pid, for
# the caller to kill
sub start_dropper {
    my ($port, $bytes) = @_;
    my $drop = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$port",
                                     Listen => 8, ReuseAddr => 1)
        or die "cannot listen: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        while (my $c = $drop->accept) {
            my ($buf, $got) = ('', 0);
            while ($got < $bytes) {
                my $n = sysread($c, $buf, 65536);
                last unless $n;
                $got += $n;
            }
            close $c;
        }
        POSIX::_exit(0);
    }
    close $drop;
    return $pid;
}

sub _echo_args_event {
    my ($s) = @_;
    $s =~ s/(["\\])/\\$1/g;
    return 'data: {"choices":[{"delta":{"tool_calls":[{"index":0,'
        . '"function":{"arguments":"' . $s . '"}}]},"index":0}]}' . "\n\n";
}

sub _parse_request {
    my ($raw, $n) = @_;
    my $hend = index($raw, "\r\n\r\n");
    my %r = (raw => $raw, n => $n);

    $hend = length $raw if $hend < 0;
    my ($line, @hl) = split /\r\n/, substr($raw, 0, $hend);
    $r{request_line} = $line;
    @r{qw(method uri version)} = split / /, $line, 3;
    $r{headers} = {};
    $r{header_list} = [];
    for (@hl) {
        my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
        push @{$r{header_list}}, [$k, $v];
        $r{headers}{lc $k} = exists $r{headers}{lc $k}
            ? "$r{headers}{lc $k}, $v" : $v;
    }
    $r{raw_body} = length $raw > $hend + 4 ? substr($raw, $hend + 4) : '';
    $r{body} = $r{raw_body};
    if (($r{headers}{'transfer-encoding'} || '') =~ /chunked/i) {
        my ($end, $body) = _chunked_end($raw, $hend + 4);
        $r{body} = $body if defined $end;
    }
    return \%r;
}

# files of recorded requests, in arrival order
sub _recorded {
    my ($self, @suffix) = @_;
    my $dir = "$self->{dir}/upstream";
    my $re = join '|', @suffix;

    opendir my $dh, $dir or return ();
    my @f = sort grep { /^req-\d+\.(?:$re)$/ } readdir $dh;
    return map { "$dir/$_" } @f;
}

# how many requests (complete or not) the upstream has received
sub upstream_count {
    my ($self) = @_;
    return scalar $self->_recorded('http', 'partial');
}

# the complete requests received, each { request_line, method, uri,
# version, headers (lower-cased names), header_list, raw_body, body
# (de-chunked), raw }; with $from, only those after the first $from
sub upstream_requests {
    my ($self, $from) = @_;
    my @files = $self->_recorded('http', 'partial');
    my @r;

    splice @files, 0, $from if $from;
    for my $f (@files) {
        my ($n) = $f =~ /req-(\d+)\./;
        my $raw = $self->read_file($f);
        my $r = _parse_request($raw, $n + 0);
        $r->{partial} = $f =~ /\.partial$/ ? 1 : 0;
        push @r, $r;
    }
    return @r;
}


# --- clients -------------------------------------------------------------

sub _write_all {
    my ($sock, $data) = @_;
    my $off = 0;
    local $SIG{PIPE} = 'IGNORE';

    while ($off < length $data) {
        my $sel = IO::Select->new($sock);
        return 0 unless $sel->can_write($TIMEOUT);
        my $n = syswrite($sock, $data, 65536, $off);
        return 0 unless $n;
        $off += $n;
    }
    return 1;
}

sub _connect {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
        Proto => 'tcp', Timeout => $TIMEOUT)
        or die "connect 127.0.0.1:$port: $!";
    binmode $s;
    return $s;
}

# request text from method, path, headers (array of [name, value] or
# hash), body; chunked => [pieces] sends the body chunked
sub build_request {
    my (%o) = @_;
    my $method = $o{method} || (defined $o{body} ? 'POST' : 'GET');
    my $path = defined $o{path} ? $o{path} : '/';
    my $ver = $o{version} || 'HTTP/1.1';
    my @h;

    if (ref $o{headers} eq 'HASH') {
        @h = map { [$_, $o{headers}{$_}] } sort keys %{$o{headers}};
    } elsif ($o{headers}) {
        @h = @{$o{headers}};
    }
    my %have = map { lc $_->[0] => 1 } @h;

    unshift @h, ['Host', 'localhost'] unless $have{host};
    push @h, ['Connection', 'close'] unless $have{connection};

    my $body = '';
    if ($o{chunked}) {
        push @h, ['Transfer-Encoding', 'chunked']
            unless $have{'transfer-encoding'};
        $body = join('', map { sprintf("%x\r\n%s\r\n", length $_, $_) }
                          grep { length } @{$o{chunked}}) . "0\r\n\r\n";
    } elsif (defined $o{body}) {
        $body = $o{body};
        push @h, ['Content-Length', length $body]
            unless $have{'content-length'} || $o{no_content_length};
    }

    return "$method $path $ver\r\n"
        . join('', map { "$_->[0]: $_->[1]\r\n" } @h) . "\r\n" . $body;
}

# reads one response; skips 1xx (noting 100 Continue)
sub _read_response {
    my ($sock, $buf, %o) = @_;
    my %r = (got_100 => 0);
    my $b = defined $buf ? $buf : '';

    while (1) {
        my $hend;
        while (($hend = index($b, "\r\n\r\n")) < 0) {
            if (!_read_more($sock, \$b, $TIMEOUT)) {
                $r{error} = length $b ? 'truncated headers' : 'no response';
                $r{raw} = $b;
                return \%r;
            }
        }
        my ($line, @hl) = split /\r\n/, substr($b, 0, $hend);
        my ($ver, $status, $reason) = split / /, $line, 3;
        if ($status =~ /^1\d\d$/) {
            $r{got_100} = 1 if $status == 100;
            substr($b, 0, $hend + 4, '');
            return \%r if $o{stop_after_100};
            next;
        }
        $r{status} = $status + 0;
        $r{reason} = $reason;
        $r{version} = $ver;
        $r{headers} = {};
        $r{header_list} = [];
        for (@hl) {
            my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
            push @{$r{header_list}}, [$k, $v];
            $r{headers}{lc $k} = exists $r{headers}{lc $k}
                ? "$r{headers}{lc $k}, $v" : $v;
        }
        $r{raw_head} = substr($b, 0, $hend + 4, '');
        last;
    }

    my $h = $r{headers};
    if (($o{method} || '') eq 'HEAD' || $r{status} == 204
        || $r{status} == 304)
    {
        $r{body} = '';
    } elsif (($h->{'transfer-encoding'} || '') =~ /chunked/i) {
        my ($end, $body);
        while (!(($end, $body) = eval { _chunked_end($b, 0) })) {
            if ($@) {
                $r{error} = 'bad chunked body';
                last;
            }
            if (!_read_more($sock, \$b, $TIMEOUT)) {
                $r{error} = 'truncated chunked body';
                last;
            }
        }
        $r{body} = defined $body ? $body : $b;
        $r{raw_body} = defined $end ? substr($b, 0, $end) : $b;
        $r{rest} = substr($b, $end) if defined $end;
    } elsif (defined $h->{'content-length'}) {
        my $len = $h->{'content-length'};
        while (length $b < $len) {
            if (!_read_more($sock, \$b, $TIMEOUT)) {
                $r{error} = 'truncated body';
                last;
            }
        }
        $r{body} = substr($b, 0, $len);
        $r{rest} = substr($b, $len) if length $b > $len;
    } else {
        1 while _read_more($sock, \$b, $TIMEOUT);
        $r{body} = $b;
    }
    $r{raw_body} = $r{body} unless defined $r{raw_body};
    return \%r;
}

sub _result {
    my ($r) = @_;
    return wantarray ? ($r->{status}, $r->{headers}, $r->{body}) : $r;
}

# http_request($port, $raw_request) or http_request($port, method => ...,
# path => ..., headers => ..., body => ... | chunked => [...]).
# Scalar context: { status, reason, headers (lower-cased), header_list,
# body (de-chunked), got_100, error }; list context: (status, headers,
# body).
sub http_request {
    my ($port, @args) = @_;
    my $raw = @args == 1 ? $args[0] : build_request(@args);
    my $s = _connect($port);
    my ($method) = $raw =~ /^(\S+)/;

    _write_all($s, $raw);
    my $r = _read_response($s, undef, method => $method);
    _drain($s, $r, $raw);
    close $s;
    return _result($r);
}

# with "Connection: close", waits for NGINX to close the connection: it
# does so once the request is finalized (log written, background
# subrequests such as mirrors done); bytes after the response (a second
# response?) go to {trailing}
sub _drain {
    my ($sock, $r, $request) = @_;
    my $rest = defined $r->{rest} ? $r->{rest} : '';

    return unless $request =~ /\r\nConnection:\s*close\r\n/i;
    1 while _read_more($sock, \$rest, $TIMEOUT);
    $r->{trailing} = $rest if length $rest;
}

# Sends parts => [...] with delay => seconds between them (slow sender,
# partial bodies).  expect_100 => 1: after the first part (the headers),
# waits for "100 Continue"; if a final response comes instead, stops
# sending.  shutdown => 1 half-closes after the last part.  The result is
# as for http_request, with got_100.
sub http_send_raw {
    my ($port, %o) = @_;
    my @parts = @{$o{parts}};
    my $s = _connect($port);
    my $got_100 = 0;
    my $early;
    my ($method) = $parts[0] =~ /^(\S+)/;

    for my $i (0 .. $#parts) {
        if ($i > 0 && $o{delay}) {
            sleep $o{delay};
        }
        last unless _write_all($s, $parts[$i]);
        if ($i == 0 && $o{expect_100}) {
            my $r = _read_response($s, undef, stop_after_100 => 1,
                                   method => $method);
            if ($r->{got_100}) {
                $got_100 = 1;
            } else {
                $early = $r;
                last;
            }
        }
    }
    shutdown($s, SHUT_WR) if $o{shutdown} && !$early;
    return undef if defined $o{read} && !$o{read};

    my $r = $early || _read_response($s, undef, method => $method);
    $r->{got_100} ||= $got_100;
    # a client answered before sending its body closes (NGINX would wait
    # lingering_timeout for the body it announced)
    _drain($s, $r, $parts[0]) unless $early;
    close $s;
    return _result($r);
}

# Writes raw (several requests, pipelined) in one go and reads n
# responses from the one connection; returns them in order (as
# http_request in scalar context); a response that did not come has
# {error}.  The last one gets {trailing} if more bytes followed.
sub http_pipeline {
    my ($port, $raw, $n, %o) = @_;
    my $s = _connect($port);
    my @methods = $raw =~ /(?:^|\r\n\r\n)(GET|POST|HEAD|PUT|DELETE) /g;
    my $buf = '';
    my @r;

    _write_all($s, $raw);
    shutdown($s, SHUT_WR) if $o{shutdown};
    for my $i (1 .. $n) {
        my $r = _read_response($s, $buf, method => $methods[$i - 1]);
        push @r, $r;
        last if $r->{error};
        $buf = defined $r->{rest} ? $r->{rest} : '';
    }
    if (@r == $n && !$r[-1]{error}) {
        1 while _read_more($s, \$buf, $o{idle} // 1);
        $r[-1]{trailing} = $buf if length $buf;
    }
    close $s;
    return @r;
}

my $H2;

sub curl_h2_available {
    return $H2 if defined $H2;
    my ($rc, $out) = _run('curl', '-V');
    $H2 = ($rc == 0 && $out =~ /^Features:.*\bHTTP2\b/m) ? 1 : 0;
    return $H2;
}

# curl -s --http2-prior-knowledge against an http2 listener; method,
# path, headers (array of [name, value]), body.  Returns as http_request
# (undef when curl lacks HTTP/2).
sub curl_h2 {
    my ($port, %o) = @_;
    my @cmd = ('curl', '-s', '-S', '--http2-prior-knowledge',
               '--path-as-is', '--max-time', $TIMEOUT);
    my $dir = tempdir('azoai-curl-XXXXXX', TMPDIR => 1, CLEANUP => 1);

    return undef unless curl_h2_available();

    push @cmd, '-X', $o{method} if $o{method};
    for my $h (@{$o{headers} || []}) {
        push @cmd, '-H', "$h->[0]: $h->[1]";
    }
    if (defined $o{body}) {
        open my $fh, '>:raw', "$dir/body" or die "$!";
        print $fh $o{body};
        close $fh;
        push @cmd, '--data-binary', "\@$dir/body";
    }
    push @cmd, '-D', "$dir/head", '-o', "$dir/out",
        "http://127.0.0.1:$port" . ($o{path} || '/');

    my ($rc, $out) = _run(@cmd);
    my %r = (curl_exit => $rc, curl_output => $out, headers => {},
             header_list => []);

    open my $hh, '<:raw', "$dir/head" or do {
        $r{error} = "curl: no headers ($rc): $out";
        return _result(\%r);
    };
    local $/;
    my $head = <$hh>;
    close $hh;
    # the last header block (after any 100 Continue)
    my @blocks = grep { /\S/ } split /\r\n\r\n/, $head;
    if (!@blocks) {
        $r{error} = "curl: no headers ($rc): $out";
        return _result(\%r);
    }
    my ($line, @hl) = split /\r\n/, $blocks[-1];
    ($r{version}, $r{status}) = split / /, $line;
    $r{status} += 0;
    for (@hl) {
        my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
        push @{$r{header_list}}, [$k, $v];
        $r{headers}{lc $k} = exists $r{headers}{lc $k}
            ? "$r{headers}{lc $k}, $v" : $v;
    }
    if (open my $bh, '<:raw', "$dir/out") {
        $r{body} = <$bh>;
        close $bh;
    }
    $r{body} = '' unless defined $r{body};
    $r{error} = "curl exit $rc: $out" if $rc;
    return _result(\%r);
}

# A minimal HTTP/2 client (prior knowledge, no TLS) that sends all the
# requests at once as concurrent streams of one connection, their DATA
# frames interleaved; each request { method, path, headers, body,
# cancel => n, no_length => 1 } (cancel: send RST_STREAM CANCEL after n
# body bytes instead of the rest; no_length: no content-length field).
# Bodies share the 64 KB connection window.
# Returns one result per request: { status, body, reset (error code of a
# RST_STREAM from the server), error }, plus {goaway} in the first when
# the server sent GOAWAY.  Response header fields other than :status are
# not decoded (HPACK Huffman); :status is, as NGINX sends it.
sub h2_session {
    my ($port, @reqs) = @_;
    my $s = _connect($port);
    my (%by_id, @r, @data);
    my $id = 1;

    my $frame = sub {
        my ($type, $flags, $sid, $payload) = @_;
        return pack('NCN', (length($payload) << 8) | $type, $flags, $sid)
            . $payload;
    };
    my $hstr = sub {
        my ($str) = @_;
        return _hpack_int(length $str, 7, 0) . $str;
    };

    my $out = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" . $frame->(4, 0, 0, '');
    for my $q (@reqs) {
        my $body = defined $q->{body} ? $q->{body} : '';
        my @h = ([':method', $q->{method} || 'POST'], [':scheme', 'http'],
                 [':path', $q->{path} || '/'],
                 [':authority', "127.0.0.1:$port"],
                 map { [lc $_->[0], $_->[1]] } @{$q->{headers} || []});
        push @h, ['content-length', length $body]
            if defined $q->{body} && !defined $q->{cancel}
               && !$q->{no_length};
        my $block = join '', map { "\x00" . $hstr->($_->[0])
                                   . $hstr->($_->[1]) } @h;
        my $end = length $body ? 0 : 1;
        $out .= $frame->(1, 0x4 | $end, $id, $block);
        my %st = (id => $id, body => '');
        push @r, \%st;
        $by_id{$id} = \%st;
        if (length $body) {
            my $send = defined $q->{cancel} ? substr($body, 0, $q->{cancel})
                                            : $body;
            my @parts = unpack('(a4000)*', $send);
            push @data, [$id, $_, 0] for @parts[0 .. $#parts - 1];
            push @data, [$id, $parts[-1], defined $q->{cancel} ? 0 : 1]
                if @parts;
            push @data, [$id, undef] if defined $q->{cancel};
        }
        $id += 2;
    }
    _write_all($s, $out);

    # interleave the streams' DATA frames: round robin by stream
    my %queue;
    push @{$queue{$_->[0]}}, $_ for @data;
    my @order;
    while (grep { @{$queue{$_}} } keys %queue) {
        for my $sid (sort { $a <=> $b } keys %queue) {
            push @order, shift @{$queue{$sid}} if @{$queue{$sid}};
        }
    }
    $out = '';
    for my $d (@order) {
        $out .= defined $d->[1] ? $frame->(0, $d->[2], $d->[0], $d->[1])
                                : $frame->(3, 0, $d->[0], pack('N', 8));
    }
    _write_all($s, $out);

    my $buf = '';
    # a stream the client cancelled gets no answer
    $_->{done} = 1 for grep { defined $reqs[($_->{id} - 1) / 2]{cancel} } @r;
    my $open = grep { !$_->{done} } @r;
    while ($open > 0) {
        while (length $buf < 9
               || length $buf < 9 + unpack('N', "\x00" . substr($buf, 0, 3)))
        {
            if (!_read_more($s, \$buf, $TIMEOUT)) {
                $_->{error} ||= 'connection closed' for grep { !$_->{done} }
                    @r;
                $open = 0;
                last;
            }
        }
        last unless $open;
        my $len = unpack('N', "\x00" . substr($buf, 0, 3));
        my ($type, $flags, $sid) = unpack('CCN', substr($buf, 3, 6));
        $sid &= 0x7fffffff;
        my $payload = substr($buf, 9, $len);
        substr($buf, 0, 9 + $len, '');
        my $st = $by_id{$sid};

        if ($type == 4 && !($flags & 1)) {
            _write_all($s, $frame->(4, 1, 0, ''));
        } elsif ($type == 6 && !($flags & 1)) {
            _write_all($s, $frame->(6, 1, 0, $payload));
        } elsif ($type == 7) {
            $r[0]{goaway} = unpack('x4N', $payload);
            $_->{error} ||= 'GOAWAY' for grep { !$_->{done} } @r;
            last;
        } elsif ($st && $type == 1) {
            $payload = substr($payload, 1 + ord $payload) if $flags & 0x8;
            $payload = substr($payload, 5) if $flags & 0x20;
            $st->{status} = _h2_status($payload)
                unless defined $st->{status};
        } elsif ($st && $type == 0) {
            $payload = substr($payload, 1, -ord($payload) || length $payload)
                if $flags & 0x8;
            $st->{body} .= $payload;
            # give the window back
            _write_all($s, $frame->(8, 0, 0, pack('N', $len))) if $len;
        } elsif ($st && $type == 3) {
            $st->{reset} = unpack('N', $payload);
            $flags |= 1;
        }
        if ($st && ($flags & 1) && ($type <= 1 || $type == 3)
            && !$st->{done})
        {
            $st->{done} = 1;
            $open--;
        }
    }
    if ($open <= 0) {
        _write_all($s, $frame->(7, 0, 0, pack('NN', $id - 2, 0)));
    }
    close $s;
    delete $_->{done} for @r;
    return @r;
}

sub _hpack_int {
    my ($n, $bits, $first) = @_;
    my $max = (1 << $bits) - 1;

    return chr($first | $n) if $n < $max;
    my $out = chr($first | $max);
    $n -= $max;
    while ($n >= 128) {
        $out .= chr(($n & 0x7f) | 0x80);
        $n >>= 7;
    }
    return $out . chr($n);
}

# :status from the first field of a header block: an indexed static
# entry (8 .. 14) or a literal with the :status name index and a raw
# value, as NGINX writes it
sub _h2_status {
    my ($block) = @_;
    my %indexed = (8 => 200, 9 => 204, 10 => 206, 11 => 304, 12 => 400,
                   13 => 404, 14 => 500);
    my $b = ord $block;

    return $indexed{$b & 0x7f} if $b & 0x80;
    return substr($block, 2, 3) + 0
        if ($b & 0x3f) == 8 && (ord(substr($block, 1)) & 0x80) == 0;
    return undef;
}


# --- assertions ----------------------------------------------------------

sub json_decode {
    my ($text) = @_;
    my $v = eval { JSON::PP->new->utf8->allow_nonref->decode($text) };
    return $v;
}

sub json_encode {
    return JSON::PP->new->utf8->canonical->encode($_[0]);
}

# status, Content-Type application/json, Azure-shaped body with the code
# and type azoai_policy, X-AzOAI-Decision deny (unless decision => undef)
sub is_denial {
    my ($r, $status, $code, $name, %o) = @_;
    my $tb = Test::More->builder;
    my @why;

    $name ||= "denied $status $code";

    if (!defined $r->{status}) {
        push @why, "no response: " . ($r->{error} || '?');
    } else {
        push @why, "status $r->{status}, want $status"
            if $r->{status} != $status;
        my $ct = $r->{headers}{'content-type'} || '';
        push @why, "Content-Type '$ct'" unless $ct =~ m{^application/json};
        my $j = json_decode($r->{body});
        if (ref $j ne 'HASH' || ref $j->{error} ne 'HASH') {
            push @why, "body is not {\"error\":{...}}";
        } else {
            my $e = $j->{error};
            push @why, "code '" . ($e->{code} // 'null') . "', want $code"
                if ($e->{code} // '') ne $code;
            push @why, "type '" . ($e->{type} // 'null') . "'"
                if ($e->{type} // '') ne 'azoai_policy';
            push @why, "empty message"
                if ref \$e->{message} ne 'SCALAR' || !defined $e->{message}
                    || $e->{message} eq '';
        }
        push @why, "bytes after the response: "
            . substr($r->{trailing}, 0, 80) if defined $r->{trailing};
        my $want = exists $o{decision} ? $o{decision} : 'deny';
        if (defined $want) {
            my $d = $r->{headers}{'x-azoai-decision'};
            push @why, "X-AzOAI-Decision '" . ($d // 'absent') . "'"
                if !defined $d || $d ne $want;
        }
    }

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ok = $tb->ok(!@why, $name);
    if (!$ok) {
        $tb->diag(join("\n", @why) . "\nbody: "
                  . substr($r->{body} // '', 0, 300));
    }
    return $ok;
}

# sends a request spec and returns the response: { method, path,
# headers, body | chunked => [...] } (http_request), { raw => text },
# { parts => [...], delay, expect_100 } (http_send_raw) or { via => 'h2',
# method, path, headers, body } (curl_h2); port defaults to 'main'
sub request {
    my ($self, $req) = @_;
    my $port = $req->{port} || $self->port('main');

    return scalar curl_h2($port, %$req) if ($req->{via} || '') eq 'h2';
    return scalar http_send_raw($port, %$req) if $req->{parts};
    return scalar http_request($port, $req->{raw}) if defined $req->{raw};
    return scalar http_request($port, %$req);
}

# a denied request: status, code, shape, and the upstream saw nothing
sub expect_denied {
    my ($self, $req, $status, $code, $name, %o) = @_;
    my $before = $self->upstream_count;
    my $r = $self->request($req);

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ok = is_denial($r, $status, $code, $name, %o);
    my $after = $self->upstream_count;
    $ok = Test::More::is($after - $before, 0,
                         "$name: upstream received nothing") && $ok;
    return $ok;
}

# an allowed request: 200 from the upstream, X-AzOAI-Decision allow, the
# upstream received exactly one request with the same path and, when the
# request has a body, the same bytes with a matching Content-Length.
# Returns the upstream request (or undef).
sub expect_allowed {
    my ($self, $req, $name, %o) = @_;
    my $before = $self->upstream_count;
    my $r = $self->request($req);
    my $tb = Test::More->builder;
    my @why;

    push @why, "status " . ($r->{status} // 'none: ' . ($r->{error} // ''))
        if ($r->{status} // 0) != ($o{status} || 200);
    push @why, "bytes after the response: " . substr($r->{trailing}, 0, 80)
        if defined $r->{trailing};
    my $want = exists $o{decision} ? $o{decision} : 'allow';
    if (defined $want) {
        my $d = $r->{headers}{'x-azoai-decision'};
        push @why, "X-AzOAI-Decision '" . ($d // 'absent') . "'"
            if !defined $d || $d ne $want;
    }

    my @new = $self->upstream_requests($before);
    my $up = $new[0];
    if (@new != 1) {
        push @why, "upstream received " . scalar(@new) . " requests";
    } else {
        my ($path) = ($req->{path} // '') =~ /^(\S*)/;
        push @why, "upstream uri '$up->{uri}', want '$path'"
            if defined $req->{path} && $up->{uri} ne $path;
        my $body = $req->{body};
        $body = join '', @{$req->{chunked}} if $req->{chunked};
        $body = $o{body} if exists $o{body};
        if (defined $body) {
            push @why, "upstream body differs (got "
                . length($up->{body}) . " bytes, want " . length($body) . ")"
                if $up->{body} ne $body;
            my $cl = $up->{headers}{'content-length'};
            push @why, "upstream Content-Length "
                . ($cl // 'absent') . " for " . length($up->{body})
                . " bytes"
                if !defined $cl || $cl != length $up->{body};
        }
    }

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if (!$tb->ok(!@why, $name)) {
        $tb->diag(join("\n", @why) . "\nresponse body: "
                  . substr($r->{body} // '', 0, 300));
    }
    return wantarray ? ($up, $r) : $up;
}


# --- cleanup -------------------------------------------------------------

sub cleanup {
    my ($self, $keep) = @_;

    $self->stop;
    $self->stop_upstream;
    if ($keep || $ENV{AZOAI_TEST_KEEP}) {
        Test::More::diag("test files kept in $self->{dir}");
    } else {
        rmtree($self->{dir});
    }
}

END {
    my $status = $?;
    my $tb = Test::More->builder;
    my $keep = $status != 0 || !$tb->is_passing;

    for my $t (@INSTANCES) {
        next unless $t->{valgrind};
        eval {
            $t->stop;
            my @vg = $t->_valgrind_new;
            if (@vg) {
                Test::More::diag("valgrind: " . scalar(@vg)
                    . " error(s) in module frames:\n"
                    . join("\n", @vg[0 .. ($#vg > 4 ? 4 : $#vg)]));
                $status ||= 1;
                $keep = 1;
            }
        };
    }
    for my $t (@INSTANCES) {
        eval { $t->cleanup($keep) };
    }
    @INSTANCES = ();
    $? = $status;
}

# --- shared pieces of test files -------------------------------------------

push @EXPORT, qw(server_block sse_delta_text error_message echo_json
    start_dropper);

# A server{} block for write_conf: listens on the port named PORT ('main',
# the default, is %%PORT%%; 'off' is %%PORT_OFF%%), and on PORT_h2 with
# HTTP/2 when h2 => 1; then the directives (a list of lines), a location
# / that proxies to the recording upstream, and the text of locations.
sub server_block {
    my (%o) = @_;
    my $name = $o{port} // 'main';
    my $p = $name eq 'main' ? 'PORT' : 'PORT_' . uc $name;
    my $s = "    server {\n        listen 127.0.0.1:%%$p%%;\n";

    $s .= "        listen 127.0.0.1:%%${p}_H2%% http2;\n" if $o{h2};
    $s .= join '', map { "        $_\n" } @{$o{directives} || []};
    $s .= "\n        location / {\n"
        . "            proxy_pass http://%%UPSTREAM%%;\n        }\n";
    $s .= $o{locations} // '';
    return $s . "    }\n";
}

# The text a chat completions event stream carries in choice 0's deltas:
# the content, or with ARGS the first tool call's arguments.
sub sse_delta_text {
    my ($body, $args) = @_;
    my $text = '';

    for my $data ($body =~ /^data: (.*)$/mg) {
        next if $data eq '[DONE]';
        my $d = (json_decode($data)->{choices} || [{}])->[0]{delta} || {};
        $text .= $args ? ($d->{tool_calls} ? $d->{tool_calls}[0]{function}
                                                 {arguments} : '')
                       : ($d->{content} // '');
    }
    return $text;
}

# The message of an Azure-shaped error body, '' if there is none.
sub error_message {
    my ($r) = @_;
    my $j = json_decode($r->{body} // '') // {};
    return ref $j eq 'HASH' && ref $j->{error} eq 'HASH'
        ? $j->{error}{message} // '' : '';
}

# POSTs BODY to PATH asking the recording upstream for the response KIND
# (X-Test-Response), X-Test-Id ID (default KIND); over HTTP/2 (curl, port
# 'h2') with h2 => 1.  Returns the response.
sub ask_response {
    my ($self, $kind, %o) = @_;
    my @h = (['Content-Type', 'application/json'],
             ['X-Test-Response', $kind], ['X-Test-Id', $o{id} || $kind],
             @{$o{headers} || []});
    my %req = (method => 'POST', path => $o{path}, headers => \@h,
               body => $o{body});

    return $o{h2} ? scalar curl_h2($self->port('h2'), %req)
                  : scalar http_request($self->port, %req);
}

# Time to first byte of a stream whose upstream waits (a "-pause" KIND
# holds the rest until DIR/go exists): POSTs BODY to PATH, reads until
# the first event is in (4 s at most), then writes DIR/go and reads the
# rest.  Returns what came before DIR/go, whether DIR/go was still absent
# then, and everything the client got.
sub first_event_then_rest {
    my ($self, %o) = @_;
    my $go = "$self->{dir}/go";
    unlink $go;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $self->port,
                                  Timeout => 5) or die "connect: $!";
    print $s "POST $o{path} HTTP/1.1\r\nHost: x\r\n"
        . "Content-Type: application/json\r\nX-Test-Response: $o{kind}\r\n"
        . (defined $o{id} ? "X-Test-Id: $o{id}\r\n" : '')
        . "Connection: close\r\nContent-Length: " . length($o{body})
        . "\r\n\r\n$o{body}";
    my $got = '';
    my $until = time + 4;
    while ($got !~ /data: \{[^\n]*\n\n/ && time < $until) {
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        next unless select($rin, undef, undef, 0.1);
        sysread($s, $got, 4096, length $got) or last;
    }
    my ($first, $waiting) = ($got, !-e $go);
    $self->write_file('go', '');
    1 while sysread($s, $got, 4096, length $got);
    close $s;
    return ($first, $waiting, $got);
}

1;
