#!/usr/bin/perl

# Token usage of a rewritten JSON response is read in the walk that finds
# its text fields (azoai_pii_restore, azoai_pii_response), not by walking
# the response again; without restore it is read as before, and an event
# stream is read as it passes.  Either way the same figures reach
# $azoai_*_tokens, over HTTP/1.1 and HTTP/2.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $v = `$ENV{NGINX} -V 2>&1` // '';
plan skip_all => 'NGINX is not built --with-debug' if $v !~ /--with-debug/;

my $t = AzoaiTest->new(workers => 1, error_log_level => 'debug');

$t->write_catalog;
$t->write_conf(<<'EOF'
    azoai_catalog %%CATALOG%%;
    azoai_deployment norestore gpt-4o 2024-11-20;
    azoai_deployment masking gpt-4o 2024-11-20;
    log_format usage '$http_x_test_id $azoai_prompt_tokens '
                     '$azoai_completion_tokens $azoai_total_tokens '
                     '$azoai_pii_restored';

EOF
    . server_block(h2 => 1, directives => [
        'azoai on;', 'azoai_pii on;', 'azoai_pii_action pseudonym;',
        'azoai_pii_restore on;', 'access_log %%DIR%%/usage.log usage;'],
        locations => <<'EOF'));
        location /openai/deployments/norestore/ {
            azoai_pii_restore off;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/masking/ {
            azoai_pii_response on;
            client_body_buffer_size 1k;
            proxy_buffer_size 1k;
            proxy_buffers 4 1k;
            proxy_pass http://%%UPSTREAM%%;
        }
EOF
$t->start_upstream;
$t->start;

my $API = '/chat/completions?api-version=2024-10-21';
my $BODY = '{"messages":[{"role":"user","content":"Mail ann@example.com '
    . 'or bob@example.org"}]}';
my $WALK = qr/azoai: token usage read with the restore walk/;

sub ask {
    my ($kind, $at, $id, %o) = @_;
    return $t->ask_response($kind, path => "/openai/deployments/$at$API",
                            body => $o{body} // $BODY, id => $id,
                            h2 => $o{h2});
}

# the lines the module logged for one request, found by its usage log
# line (written after the response)
sub walked {
    my ($id) = @_;
    my $line = $t->access_log_wait(qr/^\Q$id\E /, 'usage.log');
    my $n = () = $t->error_log =~ /$WALK/g;
    return ($line, $n);
}

my ($line, $before, $after);

$before = () = $t->error_log =~ /$WALK/g;
my $r = ask('echo-json', 'chat-mini', 'json');
like($r->{body}, qr/Mail ann\@example\.com or bob\@example\.org/,
     'JSON: pseudonyms restored');
($line, $after) = walked('json');
is($line, 'json 5 6 11 2', 'JSON: usage 5/6/11 from the restore walk');
is($after - $before, 1, 'JSON: read in the restore walk, once');

SKIP: {
    skip 'curl without HTTP/2', 2 unless curl_h2_available();
    $before = $after;
    ask('echo-json', 'chat-mini', 'json-h2', h2 => 1);
    ($line, $after) = walked('json-h2');
    is($line, 'json-h2 5 6 11 2', 'HTTP/2 JSON: usage from the walk');
    is($after - $before, 1, 'HTTP/2 JSON: read in the restore walk');
}

# no restore: nothing walks the response, the usage filter reads it

$before = $after;
$r = ask('echo-json', 'norestore', 'plain');
like($r->{body}, qr/\[EMAIL_1\] or \[EMAIL_2\]/, 'no restore: as sent');
($line, $after) = walked('plain');
is($line, 'plain 5 6 11 0', 'no restore: usage read from the response');
is($after - $before, 0, 'no restore: no restore walk');

# an event stream is read as it passes, restored or not

$before = $after;
$r = ask('echo-sse-3', 'chat-mini', 'sse');
is(sse_delta_text($r->{body}), 'Mail ann@example.com or bob@example.org',
   'stream: restored');
($line, $after) = walked('sse');
is($line, 'sse    2', 'stream: no usage in it, none made up');
is($after - $before, 0, 'stream: no restore walk');

# response masking, through 1 KB proxy buffers: masked and restored,
# usage from the walk

$before = $after;
$r = ask('pii-json', 'masking', 'masked');
like($r->{body}, qr/Write to \[EMAIL\] or ann\@example\.com, call/,
     'masking: the response\'s own value masked, the pseudonym restored');
unlike($r->{body}, qr/carol\@example\.net or|dave\@/,
       'masking: no value left in the text or the tool arguments');
($line, $after) = walked('masked');
is($line, 'masked 5 6 11 1', 'masking: usage 5/6/11 from the walk');
is($after - $before, 1, 'masking: read in the restore walk');

$t->error_log_clean;

done_testing;
