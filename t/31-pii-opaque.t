#!/usr/bin/perl

# azoai_pii_opaque: with azoai_pii on, content the PII scan cannot
# inspect (base64 data: URIs of image_url and input_image, the file_data
# of input_file parts, input_audio data) is denied 403
# UninspectableContent by default, naming what and the directive; with
# "pass" it reaches the upstream unchanged (the text around it still
# masked), counted in $azoai_pii_opaque and azoai_pii_opaque_total.
# HTTP/1.1, HTTP/2, bodies spooled to temp files.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog;
$t->write_conf(<<'EOF2');
    azoai_catalog %%CATALOG%%;
    azoai_metrics_zone azoai 1m;
    log_format opaque '$http_x_test_id $azoai_pii_opaque $azoai_reason';

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        client_body_buffer_size 1k;
        azoai on;
        azoai_pii on;
        access_log %%DIR%%/opaque.log opaque;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/chat-mini/ {
            azoai_pii_opaque pass;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/embed-prod/ {
            azoai_pii off;
            proxy_pass http://%%UPSTREAM%%;
        }
        location = /metrics {
            azoai_metrics;
        }
    }
EOF2
$t->start_upstream->start;

# chat-prod: deny (the default); chat-mini: pass; embed-prod: PII off
my %DEP = (deny => 'chat-prod', pass => 'chat-mini', nopii => 'embed-prod');
my $B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ' x 4 . '=';

sub image { return qq({"type":"image_url","image_url":{"url":"$_[0]"}}) }

sub chat {
    my ($parts, %o) = @_;
    return { method => 'POST',
             path => '/openai/deployments/' . $DEP{$o{in} // 'deny'}
                     . '/chat/completions?api-version=2024-10-21',
             headers => [['Content-Type', 'application/json'],
                         ['X-Test-Id', $o{id} // 'x']],
             body => '{"messages":[{"role":"user","content":['
                     . join(',', @$parts) . ']}]}',
             ($o{h2} ? (via => 'h2', port => $t->port('h2')) : ()) };
}

sub opaque_total {
    my $r = http_request($t->port, method => 'GET', path => '/metrics');
    my ($n) = ($r->{body} // '') =~ /^azoai_pii_opaque_total (\d+)$/m;
    return $n;
}

my $TEXT = '{"type":"text","text":"what is in it?"}';
my $DATA_URI = image("data:image/png;base64,$B64");

# --- deny (the default) -----------------------------------------------------

my @deny = (
    [chat([$TEXT, $DATA_URI]), 'data: URI',
     'a chat image as a base64 data: URI'],
    [{ method => 'POST', path => '/openai/v1/responses',
       headers => [['Content-Type', 'application/json']],
       body => '{"model":"chat-prod","input":[{"role":"user","content":['
               . '{"type":"input_image","image_url":"data:image/jpeg;base64,'
               . $B64 . '"}]}]}' }, 'data: URI', 'a Responses input_image'],
    [{ method => 'POST', path => '/openai/v1/responses',
       headers => [['Content-Type', 'application/json']],
       body => '{"model":"chat-prod","input":[{"role":"user","content":['
               . '{"type":"input_file","filename":"a.pdf","file_data":'
               . '"data:application/pdf;base64,JVBERi0xLjQK"}]}]}' },
     'file_data', 'an input_file part'],
    [chat(['{"type":"input_audio","input_audio":{"data":"UklGRiQAAABXQVZF",'
           . '"format":"wav"}}']), 'input_audio', 'input_audio data'],
    [chat([$TEXT, image('data:image/png;base64,' . ($B64 x 100))]),
     'data: URI', 'a 20 KB image, the body in a temp file'],
);

for my $c (@deny) {
    my ($req, $what, $name) = @$c;
    my $before = $t->upstream_count;
    my $r = $t->request($req);
    ok(is_denial($r, 403, 'UninspectableContent', "$name: denied 403"),
       "$name: UninspectableContent");
    is($t->upstream_count - $before, 0, "$name: upstream received nothing");
    my $msg = (json_decode($r->{body}) // {})->{error}{message} // '';
    like($msg, qr/\Q$what\E/, "$name: the message names what");
    like($msg, qr/azoai_pii_opaque pass/,
         "$name: and the directive that lets it through");
    unlike($r->{body}, qr/iVBOR|JVBER|UklGR/, "$name: never the content");
}

SKIP: {
    skip 'curl without HTTP/2', 2 unless curl_h2_available();
    $t->expect_denied(chat([$TEXT, $DATA_URI], h2 => 1), 403,
                      'UninspectableContent', 'HTTP/2: denied');
}

# a web image, and an image where PII is off, are not opaque
$t->expect_allowed(chat([$TEXT, image('https://example.com/a.png')]),
                   'an image by URL passes');
$t->expect_allowed(chat([$TEXT, $DATA_URI], in => 'nopii'),
                   'azoai_pii off: a data: URI passes');

# --- pass -------------------------------------------------------------------

my $n0 = opaque_total() // 0;

$t->expect_allowed(chat([$TEXT, $DATA_URI, $DATA_URI], in => 'pass',
                        id => 'pass-two'),
                   'pass: forwarded byte for byte');

my $before = $t->upstream_count;
my $r = $t->request(chat(['{"type":"text","text":"mail bob@example.com"}',
                          $DATA_URI], in => 'pass', id => 'pass-pii'));
is($r->{status}, 200, 'pass with PII in the text');
my ($up) = $t->upstream_requests($before);
unlike($up->{body} // '', qr/bob\@example\.com/, 'the text is masked');
like($up->{body} // '', qr/\Q"url":"data:image\/png;base64,$B64"\E/,
     'the image is forwarded unchanged');

$t->expect_allowed(chat([$TEXT, image('data:image/png;base64,'
                                      . ($B64 x 100))],
                        in => 'pass', id => 'pass-big'),
                   'pass: a 20 KB image in a temp file');

is(opaque_total(), $n0 + 4, 'azoai_pii_opaque_total counts each piece');

my $log = '';
for (1 .. 50) {
    $log = $t->read_file('opaque.log') // '';
    last if $log =~ /^pass-big /m;
    select undef, undef, undef, 0.1;
}
like($log, qr/^pass-two 2 $/m, '$azoai_pii_opaque: 2 pieces passed');
like($log, qr/^pass-pii 1 $/m, '$azoai_pii_opaque: 1');
like($log, qr/^x 0 UninspectableContent$/m,
     '$azoai_pii_opaque is 0 when denied');

$t->error_log_clean;

done_testing;
