#!/usr/bin/perl

# A JSON completion far larger than a buffer, with pseudonyms to restore
# and response masking on or off: its unchanged spans (16 KB and more)
# go out by reference to the buffer the response was read into, the rest
# is copied; the client must get exactly the upstream's bytes with the
# values put back, over HTTP/1.1 and HTTP/2, with proxy buffering on and
# off, small and default proxy buffers, and with spans just under and
# just over the size that is pointed at.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 1);

$t->write_catalog;
$t->write_conf(<<'EOF'
    azoai_catalog %%CATALOG%%;
    azoai_deployment unbuffered gpt-4o 2024-11-20;
    azoai_deployment masking gpt-4o 2024-11-20;
    azoai_deployment small gpt-4o 2024-11-20;
    log_format large '$http_x_test_id $azoai_pii_count $azoai_pii_restored '
                     '$azoai_pii_response_count';

EOF
    . server_block(h2 => 1, directives => [
        'azoai on;', 'azoai_pii on;', 'azoai_pii_types email;',
        'azoai_pii_action pseudonym;', 'azoai_pii_restore on;',
        'client_max_body_size 4m;', 'client_body_buffer_size 4k;',
        'access_log %%DIR%%/large.log large;'],
        locations => <<'EOF'));
        location /openai/deployments/unbuffered/ {
            proxy_buffering off;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/masking/ {
            azoai_pii_response on;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/small/ {
            azoai_pii_response on;
            proxy_buffer_size 1k;
            proxy_buffers 4 1k;
            proxy_busy_buffers_size 1k;
            proxy_pass http://%%UPSTREAM%%;
        }
EOF
$t->start_upstream;
$t->start;

my $API = '/chat/completions?api-version=2024-10-21';

# filler of N bytes: words, a JSON escape and a UTF-8 letter now and then
sub filler {
    my ($n) = @_;
    my $s = '';
    my $k = 0;
    while (length $s < $n) {
        $s .= ('lorem ', 'ipsum ', 'dolor \\"sit\\" ', "caf\xc3\xa9 ",
               'amet\\n')[$k++ % 5];
    }
    return substr($s, 0, $n) =~ s/\\$//r;
}

sub ask {
    my ($text, %o) = @_;
    my $body = '{"messages":[{"role":"user","content":"' . $text . '"}]}';
    return $t->ask_response('echo-json', %o, body => $body,
        path => '/openai/deployments/' . ($o{at} || 'chat-mini') . $API);
}

# spans between the values: just under and over 16 KB, long, one last
my @texts = (
    ['two values, 40 KB spans', filler(40000) . ' ann@example.com '
        . filler(40000) . ' bob@example.org ' . filler(20000), 2],
    ['spans of 16 KB - 1 and 16 KB + 1', filler(16383) . ' ann@example.com '
        . filler(16385) . ' ann@example.com ' . filler(16384), 2],
    ['no value, 200 KB', filler(200000), 0],
    ['many values, short spans',
        join('', map { filler(300) . " u$_\@example.com " } 1 .. 60), 60],
);

my $n = 0;
for my $at ('chat-mini', 'unbuffered', 'masking', 'small') {
    for my $c (@texts) {
        my ($name, $text, $values) = @$c;
        my $id = 'l' . $n++;
        my $r = ask($text, at => $at, id => $id);
        is($r->{status}, 200, "$at, $name: 200");
        ok($r->{body} eq echo_json($text),
           "$at, $name: the upstream's bytes, values put back")
            or diag(length($r->{body}) . ' bytes, not '
                    . length(echo_json($text)));
        my ($seen) = ($t->upstream_requests)[-1];
        is(() = $seen->{raw} =~ /\[EMAIL_\d+\]/g, $values,
           "$at, $name: the upstream saw $values pseudonyms");
        is($t->access_log_wait(qr/^$id /, 'large.log'),
           "$id $values $values 0",
           "$at, $name: $values restored, none masked again");
    }
}

SKIP: {
    skip 'curl without HTTP/2', 4 unless curl_h2_available();
    for my $at ('chat-mini', 'masking') {
        my ($name, $text) = @{$texts[0]};
        my $r = ask($text, at => $at, h2 => 1);
        is($r->{status}, 200, "HTTP/2, $at, $name: 200");
        ok($r->{body} eq echo_json($text),
           "HTTP/2, $at, $name: the upstream's bytes, values put back");
    }
}

$t->error_log_clean;
unlike($t->error_log . $t->read_file('large.log'), qr/example\.(?:com|org)/,
       'no value in the logs');

done_testing();
