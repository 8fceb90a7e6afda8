#!/usr/bin/perl

# HTTP/3 (QUIC), on NGINX built with ngx_http_v3_module (1.25 and later;
# make NGINX_SRC=DIR builds it so): a request over HTTP/3 is judged and
# masked like any other.  The client is gtlsclient from Debian's
# ngtcp2-client package (ngtcp2 and nghttp3 over GnuTLS); it sends no
# request headers of its own, so the bodies go without Content-Type.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use AzoaiTest;

AzoaiTest::require_module();

my ($rc, $v) = AzoaiTest::_run(AzoaiTest::nginx_binary(), '-V');
plan skip_all => 'this NGINX has no ngx_http_v3_module'
    unless $v =~ /--with-http_v3_module/;
($rc) = AzoaiTest::_run('gtlsclient', '--help');
plan skip_all => 'no HTTP/3 client (apt-get install ngtcp2-client)'
    if $rc == 127;

my $t = AzoaiTest->new;
my $dir = $t->dir;

($rc, my $out) = AzoaiTest::_run('openssl', qw(req -x509 -newkey ec -pkeyopt
    ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost -days 2
    -keyout), "$dir/key.pem", '-out', "$dir/cert.pem");
is($rc, 0, 'a test certificate') or diag($out);

$t->write_catalog;
$t->write_conf(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%% ssl;
        listen 127.0.0.1:%%PORT%% quic;
        ssl_certificate %%DIR%%/cert.pem;
        ssl_certificate_key %%DIR%%/key.pem;
        ssl_protocols TLSv1.3;
        azoai on;
        azoai_pii on;
        azoai_catalog %%CATALOG%%;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

# POST over HTTP/3: { status, headers, body, log }
sub h3_post {
    my ($path, $body) = @_;
    my $d = tempdir('azoai-h3-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my %r = (headers => {});

    $t->write_file("$d/body", $body);
    mkdir "$d/dl";
    my ($rc, $out) = AzoaiTest::_run('timeout', '20', 'gtlsclient',
        '--no-quic-dump', '--exit-on-all-streams-close', '-m', 'POST',
        '-d', "$d/body", "--download=$d/dl", '127.0.0.1', $t->port,
        'https://127.0.0.1:' . $t->port . $path);
    while ($out =~ /^http: stream \S+ \[([^:\]]+|:status): (.*)\]$/mg) {
        if ($1 eq ':status') {
            $r{status} = $2 + 0;
        } else {
            $r{headers}{lc $1} = $2;
        }
    }
    opendir my $dh, "$d/dl";
    my ($f) = grep { !/^\./ } readdir $dh;
    $r{body} = defined $f ? $t->read_file("$d/dl/$f") : '';
    $r{log} = $rc ? "gtlsclient exit $rc: " . substr($out, -400) : '';
    return \%r;
}

my $Q = '?api-version=2024-10-21';
my $before = $t->upstream_count;

# judged from the path: denied, nothing upstream
my $r = h3_post("/openai/deployments/chat-preview/chat/completions$Q",
                '{"messages":[]}');
is_denial($r, 403, 'PreviewModelBlocked', 'HTTP/3: preview deployment')
    or diag($r->{log});
is($t->upstream_count - $before, 0, 'HTTP/3: denied, upstream nothing');

# denied before the body is read, 20 times in a row, bodies past the
# 64 KB stream window: every answer is the JSON error
my @bad;
my $big = '{"messages":[{"role":"user","content":"' . ('x' x 100000)
    . '"}]}';
for my $i (1 .. 20) {
    my $d = h3_post("/openai/deployments/chat-preview/chat/completions$Q",
                    $big);
    my $j = json_decode($d->{body});
    push @bad, "try $i: " . ($d->{status} // 'none') . " $d->{log}"
        unless ($d->{status} // 0) == 403 && ref $j eq 'HASH'
               && ($j->{error}{code} // '') eq 'PreviewModelBlocked';
}
ok(!@bad, 'HTTP/3: 20 of 20 denied 100 KB POSTs get the JSON error')
    or diag(join "\n", @bad[0 .. ($#bad > 4 ? 4 : $#bad)]);

# judged from the body: the v1 route takes its model there
$r = h3_post('/openai/v1/chat/completions',
             '{"model":"chat-preview","messages":[]}');
is_denial($r, 403, 'PreviewModelBlocked', 'HTTP/3: preview model in body')
    or diag($r->{log});

# allowed and masked: the upstream gets the masked body, byte for byte
my $body = '{"messages":[{"role":"user","content":"write to '
    . 'jane.doe@example.com (end)"}]}';
(my $want = $body) =~ s/jane\.doe\@example\.com/[EMAIL]/;
$r = h3_post("/openai/deployments/chat-prod/chat/completions$Q", $body);
is($r->{status}, 200, 'HTTP/3: allowed') or diag($r->{log});
is($r->{headers}{'x-azoai-decision'}, 'allow', 'HTTP/3: decision allow');
is($r->{headers}{'x-azoai-pii-masked'}, '1', 'HTTP/3: one value masked');
my @up = $t->upstream_requests($before);
is(scalar @up, 1, 'HTTP/3: one upstream request');
is($up[0] && $up[0]{body}, $want, 'HTTP/3: the masked body upstream');
is($up[0] && $up[0]{headers}{'content-length'}, length $want,
   'HTTP/3: its Content-Length');

$t->error_log_clean;

done_testing;
