#!/usr/bin/perl

# Denials over HTTP/2 reach the client as the JSON error.  A POST denied
# from its path, before its body is read, used to be answered while the
# client was still sending; NGINX then reset the stream (RST_STREAM
# NO_ERROR) and curl reported "(92) Stream error in the HTTP/2 framing
# layer" in about half of the tries.  The module now reads such a body
# (within azoai_max_body_size) before it answers: 100 denied POSTs in a
# row with curl, small and larger than NGINX's 64 KB preread window, all
# get the error; on one connection with interleaved streams, denied
# streams end without a reset and an allowed stream still goes through
# byte for byte.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();
plan skip_all => 'curl has no HTTP/2' unless curl_h2_available();

my $t = AzoaiTest->new;

$t->write_catalog;
$t->write_conf(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%% http2;
        azoai on;
        azoai_pii on;
        azoai_catalog %%CATALOG%%;
        azoai_max_body_size 256k;
        client_body_buffer_size 16k;
        client_max_body_size 1m;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $DENIED = '/openai/deployments/chat-preview/chat/completions'
    . '?api-version=2024-10-21';
my $ALLOWED = '/openai/deployments/chat-prod/chat/completions'
    . '?api-version=2024-10-21';
my $JSON = [['Content-Type', 'application/json']];

sub body_of {
    my ($size) = @_;
    my $head = '{"messages":[{"role":"user","content":"';
    my $tail = '"}],"max_tokens":16}';
    return $head . ('x' x ($size - length($head) - length($tail))) . $tail;
}

# n denied POSTs in a row with curl; one test per shape, the failures
# named
sub denied_in_a_row {
    my ($n, $body, $name) = @_;
    my (@bad, $last);

    for my $i (1 .. $n) {
        my $r = curl_h2($t->port, method => 'POST', path => $DENIED,
                        headers => $JSON, body => $body);
        my $j = json_decode($r->{body} // '');
        my $code = ref $j eq 'HASH' && ref $j->{error} eq 'HASH'
            ? $j->{error}{code} // '' : '';
        if (($r->{status} // 0) != 403 || $r->{curl_exit}
            || $code ne 'PreviewModelBlocked'
            || ($r->{headers}{'x-azoai-decision'} // '') ne 'deny')
        {
            push @bad, "try $i: status " . ($r->{status} // 'none')
                . ", curl exit $r->{curl_exit} $r->{curl_output}, code "
                . "'$code'";
        }
        $last = $r;
    }
    ok(!@bad, "$name: $n of $n denied with the JSON error")
        or diag(scalar(@bad) . " failed:\n"
                . join("\n", @bad[0 .. ($#bad > 4 ? 4 : $#bad)]));
    is_denial($last, 403, 'PreviewModelBlocked', "$name: last answer");
}

my $before = $t->upstream_count;

denied_in_a_row(100, body_of(2000), '2 KB bodies');
denied_in_a_row(20, body_of(200 * 1024), '200 KB bodies (past the window)');

is($t->upstream_count - $before, 0, 'the upstream received nothing');

# one connection: HEADERS of all streams first, then their DATA frames
# interleaved; the denied streams are answered after their END_STREAM,
# so without RST_STREAM, and the allowed one is proxied unchanged
{
    my $allowed = body_of(30000);
    my @r = h2_session($t->port,
        { path => $DENIED, headers => $JSON, body => body_of(20000) },
        { path => $ALLOWED, headers => $JSON, body => $allowed },
        { path => $DENIED, headers => $JSON, body => body_of(5000) });

    for my $i (0, 2) {
        is($r[$i]{status}, 403, "stream $i denied over one connection");
        my $j = json_decode($r[$i]{body});
        is(ref $j eq 'HASH' && $j->{error}{code}, 'PreviewModelBlocked',
           "stream $i: the JSON error");
        ok(!defined $r[$i]{reset},
           "stream $i: no RST_STREAM after the answer")
            or diag("reset code $r[$i]{reset}");
    }
    is($r[1]{status}, 200, 'the allowed stream is proxied');
    my @up = $t->upstream_requests($before);
    is(scalar @up, 1, 'one upstream request on that connection');
    is($up[0] && $up[0]{body}, $allowed, 'its body byte for byte');
    ok(!$r[0]{goaway}, 'no GOAWAY');
}

# no content-length (the length is known at END_STREAM), and a client
# that cancels its denied stream halfway: the first is answered after
# its body, the second never answered, the connection goes on
{
    my @r = h2_session($t->port,
        { path => $DENIED, headers => $JSON, body => body_of(9000),
          no_length => 1 },
        { path => $DENIED, headers => $JSON, body => body_of(30000),
          cancel => 10000 },
        { path => $DENIED, headers => $JSON, body => body_of(100) });

    is($r[0]{status}, 403, 'no content-length: denied');
    ok(!defined $r[0]{reset}, 'no content-length: no RST_STREAM');
    is($r[2]{status}, 403, 'after a cancelled stream: denied');
    like($r[2]{body}, qr/"PreviewModelBlocked"/,
         'after a cancelled stream: the JSON error');
}

# a body declared larger than azoai_max_body_size is not read: 413 at
# once, complete, then at most a NO_ERROR reset (documented)
{
    my ($r) = h2_session($t->port,
        { path => $ALLOWED, body => '{"a":1}', no_length => 1,
          headers => [['content-length', 512 * 1024], @$JSON] });
    is($r->{status}, 413, 'declared 512 KB: 413 without reading');
    my $j = json_decode($r->{body});
    is(ref $j eq 'HASH' && $j->{error}{code}, 'BodyTooLarge',
       'declared 512 KB: the JSON error in full');
    ok(!$r->{reset}, 'declared 512 KB: a reset, if any, says NO_ERROR');
}

# the denial is logged once per request, with no alert
like($t->error_log, qr/denied: PreviewModelBlocked/, 'denials logged');
$t->error_log_clean;

done_testing;
