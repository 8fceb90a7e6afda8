#!/usr/bin/perl

# Over HTTP/1.1 the part of a body that came with the headers is moved out
# of NGINX's header buffer into one the size of the body, and NGINX reads
# the rest after it: the module inspects the body in place instead of
# joining two buffers (debug lines "moved out of the header buffer" and,
# when it still copies, "copied from its buffers").  The upstream gets
# exactly the bytes sent (or their masked form), keep-alive and pipelined
# requests after such a body are read as requests, $request_length counts
# every byte, and bodies for a temp file or over HTTP/2 are as before.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $nginx_v = `$ENV{NGINX} -V 2>&1` // '';
plan skip_all => 'NGINX is not built --with-debug'
    if $nginx_v !~ /--with-debug/;

my $MOVED = qr/azoai: \d+ body bytes moved out of the header buffer/;
my $COPIED = qr/azoai: request body of \d+ bytes copied/;
my $PATH = '/openai/deployments/chat-prod/chat/completions'
         . '?api-version=2024-10-21';

my $t = AzoaiTest->new(error_log_level => 'debug');

$t->write_catalog;
$t->write_conf(<<'EOF');
    log_format len '$http_x_test_id $request_length $status';
    azoai_catalog %%CATALOG%%;
    client_body_buffer_size 128k;

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        azoai on;
        azoai_pii on;
        access_log %%DIR%%/len.log len;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_SMALL%%;
        client_body_buffer_size 8k;
        azoai on;
        azoai_pii on;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

sub text_body {
    my ($size, $pii, $every) = @_;
    my ($text, $k) = ('', 0);
    while (length $text < $size) {
        $text .= $pii && $k % ($every // 8) == 0
            ? sprintf('write to user%d@example.com ', $k)
            : sprintf('lorem ipsum dolor sit amet %d ', $k);
        $k++;
    }
    my $body = qq({"messages":[{"role":"user","content":"$text"}]});
    (my $masked = $body) =~ s/user\d+\@example\.com/[EMAIL]/g;
    return ($body, $masked);
}

sub req {
    my ($id, $body, %o) = @_;
    return build_request(method => 'POST', path => $PATH,
        headers => [['Content-Type', 'application/json'],
                    ['X-Test-Id', $id],
                    ['Connection', $o{close} ? 'close' : 'keep-alive']],
        body => $body);
}

# 1. pipelined on one connection: bodies larger than the header buffer's
# first read (1k), with and without PII, then a small one
my @cases = (
    ['p4k', text_body(4000, 1)],
    ['c4k', text_body(4000, 0)],
    ['p64k', text_body(64000, 1)],
    ['c64k', text_body(64000, 0)],
    ['tiny', text_body(100, 1)],
);
my @raw = map { req($_->[0], $_->[1], close => $_ == $cases[-1]) } @cases;
my $before = $t->upstream_count;
my @r = http_pipeline($t->port('main'), join('', @raw), scalar @cases);

is(scalar(grep { ($_->{status} // 0) == 200 } @r), scalar @cases,
   'pipelined: every request answered 200 on one connection');
my @up = $t->upstream_requests($before);
is_deeply([map { $_->{body} } @up], [map { $_->[2] } @cases],
          'pipelined: upstream got each body exactly, masked where PII');
is_deeply([map { $_->{headers}{'content-length'} } @up],
          [map { length $_->[2] } @cases],
          'pipelined: upstream Content-Length of each body');

for my $i (0 .. $#cases) {
    my $id = $cases[$i][0];
    my $line = $t->access_log_wait(qr/^$id /, 'len.log') // '';
    my ($len) = $line =~ /^$id (\d+) 200$/;
    is($len, length $raw[$i], "$id: \$request_length counts every byte");
}

my $log = $t->error_log;
my $moved = () = $log =~ /$MOVED/g;
cmp_ok($moved, '>=', 4, 'the four large bodies were moved, not joined');
unlike($log, $COPIED, 'no body was copied to join its buffers');

# 2. larger than client_body_buffer_size: a temp file, copied as before
my ($big, $big_masked) = text_body(20000, 1);
$before = $t->upstream_count;
my $r = http_request($t->port('small'), req('file', $big, close => 1));
is($r->{status}, 200, 'temp file: allowed');
my ($up) = $t->upstream_requests($before);
is($up && $up->{body}, $big_masked, 'temp file: upstream body masked exactly');
like($t->error_log, $COPIED, 'temp file: copied from the file');

# 3. HTTP/2: one buffer, nothing to move
SKIP: {
    skip 'curl without HTTP/2', 3 unless curl_h2_available();
    my ($body, $masked) = text_body(30000, 1);
    my $moved_before = () = $t->error_log =~ /$MOVED/g;
    $before = $t->upstream_count;
    $r = curl_h2($t->port('h2'), method => 'POST', path => $PATH,
                 headers => [['Content-Type', 'application/json']],
                 body => $body);
    is($r->{status}, 200, 'HTTP/2: allowed');
    ($up) = $t->upstream_requests($before);
    is($up && $up->{body}, $masked, 'HTTP/2: upstream body masked exactly');
    my $moved_after = () = $t->error_log =~ /$MOVED/g;
    is($moved_after, $moved_before, 'HTTP/2: nothing moved');
}

# 4. the masked body's copied run in the spare room after a body read in
# one piece, or (many values: more than the room holds) a buffer of its own
$log = $t->error_log;
my $SPARE = qr/buffers, copied to the spare room after the body/;
my $spare_before = () = $log =~ /$SPARE/g;
my @dense = (
    ['spare4k', text_body(4000, 1)],
    ['spare64k', text_body(64000, 1, 16)],
    ['dense4k', text_body(4000, 1, 1)],
    ['dense64k', text_body(64000, 1, 1)],
);
for my $c (@dense) {
    $before = $t->upstream_count;
    $r = http_request($t->port('main'), req($c->[0], $c->[1], close => 1));
    is($r->{status}, 200, "$c->[0]: allowed");
    ($up) = $t->upstream_requests($before);
    is($up && $up->{body}, $c->[2], "$c->[0]: upstream body masked exactly");
}
my $spare_after = () = $t->error_log =~ /$SPARE/g;
is($spare_after - $spare_before, 2,
   'the run in the spare room where it fits, not where values are dense');

$t->error_log_clean;

done_testing;
